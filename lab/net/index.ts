// The network lab: a small WAN of network namespaces (commune → district → province → national
// data centre) with a mutual-TLS population-data service, capture interfaces in the root
// namespace for sensors, and live frame injection. Tests and the traffic generator use this.

export { labDown, labUp, openLab } from './lifecycle.js';
export { labStatus, type LabStatus } from './status.js';
export { Lab, type ExecOptions, type ServiceEndpoint } from './lab.js';
export type { LabOptions } from './options.js';
export type { RunResult } from './commands.js';
export type { ServiceReply, ServiceRequest } from './service-request.js';
export type { LabRecord } from './state.js';
export { defaultLabStateDir } from './state.js';
export { injectFrames, type InjectOptions, type InjectResult, type Pace, type TimedFrame } from './inject.js';
export { FrameTap, type FrameTapOptions } from './frame-tap.js';
export {
  COMMUNE_LAN,
  DEFAULT_PREFIX,
  HOSTS,
  LAB_IPV4_RANGE,
  LAB_IPV6_RANGE,
  LAN_HOSTS,
  POPULATION_SERVICE,
  ROUTERS,
  labPlan,
  type Family,
  type HostName,
  type HostPlan,
  type LabPlan,
  type LanHostName,
  type RouterName,
} from './topology.js';
