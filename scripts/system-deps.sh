#!/usr/bin/env bash
# Installs the Debian packages Chốt needs, when run as root and they are missing;
# otherwise names them in one clear message. Idempotent and quiet when all is present.
set -euo pipefail

# command-to-check:package
needs=(
  "pcap-config:libpcap-dev"        # builds the cap and pcap addons
  "redis-server:redis-server"      # the stack's Redis
  "java:openjdk-17-jre-headless"   # runs Elasticsearch 8
  "mvn:maven"                      # fetches Elasticsearch from Maven Central
  "unzip:unzip"
  "tcpdump:tcpdump"                # tests read generated captures with real libpcap
  "tcpreplay:tcpreplay"            # live-rate benchmarks
  "ip:iproute2"                    # the network lab
  "make:make"
  "g++:g++"
  "gcc:gcc"                        # native/: the packet socket statistics and capture decode addons
  "python3:python3"                # node-gyp
  "chromium:chromium"              # the console's browser tests (playwright-core drives Debian's build)
)

missing=()
for pair in "${needs[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1; then missing+=("$pkg"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "chot: missing system packages: ${missing[*]}: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "chot: installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
