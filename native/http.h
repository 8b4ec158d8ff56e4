/*
 * The HTTP/1.x analyzer's common path in native code, for `sensor read`'s Zeek logs: the
 * line reading, message framing and request/response pairing of sensor/app/http/
 * (lines.ts, message.ts, parse.ts, analyzer.ts) for conversations that give that code
 * nothing unusual to report, and their http.log rows (log.ts).
 *
 * As tls.h's analyzer, it hands a connection over at the first thing it does not follow
 * (a weird, a line too long for it, an Authorization or proxy header, a gap framing does
 * not absorb, more than it keeps for a handover): a call returns HTTP_HANDOVER and the
 * caller replays http_recorded into the JavaScript analyzer, which goes on from there. The
 * record includes each earlier http_rows call (kind 2), which the replay repeats and whose
 * rows it drops: those were written already. Rows finished since are that analyzer's now.
 */
#ifndef CHOT_HTTP_H
#define CHOT_HTTP_H
#include <stddef.h>
#include <stdint.h>

#include "zeek-text.h"

typedef struct http_pool http_pool_t;

enum { HTTP_CONFIRMED = 1, HTTP_DONE = 2, HTTP_HANDOVER = 4 };

http_pool_t *http_pool_new(void);
void http_pool_free(http_pool_t *p);
/* A new analyzer: its handle, or 0 when out of memory. */
uint32_t http_open(http_pool_t *p);
/* In-order bytes b[0, n) of one direction (0: requests) seen at ts (ns): the HTTP_ flags, or -1 for a handle not open. */
int http_data(http_pool_t *p, uint32_t h, int dir, const uint8_t *b, size_t n, int64_t ts);
/* A gap of `bytes` in one direction: the HTTP_ flags, or -1. */
int http_gap(http_pool_t *p, uint32_t h, int dir, uint64_t bytes);
/*
 * The transactions finished since the last call (with final, every unfinished one too) as
 * http.log rows appended to out, each "<ts>\t<the columns after id.resp_p>\n". Returns how
 * many; -1 for a handle not open; -2 when the analyzer hands over here instead (a final
 * call's finishing dropped rows, or the record is full), appending nothing: then
 * http_recorded. A final call that returns rows closes the analyzer.
 */
long http_rows(http_pool_t *p, uint32_t h, int final, zbuf_t *out);
/*
 * After HTTP_HANDOVER: what the analyzer was given since the connection began, appended to
 * out as tls.h's tls_recorded lays it out (bodies are skipped runs), with kind 2 for an
 * http_rows call that was not final. Closes the analyzer.
 */
int http_recorded(http_pool_t *p, uint32_t h, zbuf_t *out);
/*
 * Body bytes of one direction that the caller counted instead of delivering (as many as
 * http_skippable allowed, at most 2^31): taken as the body they are, and recorded as one
 * delivery skipped whole. 1 when taken; 0 when the analyzer hands over first (then the
 * caller gives them to the JavaScript analyzer itself); -1 for a handle not open.
 */
int http_counted(http_pool_t *p, uint32_t h, int dir, uint32_t n);
/* How many bytes of each direction are body only from here on (a counted length, or the rest of a body to the close: 2^31): the caller may count those itself. */
void http_skippable(http_pool_t *p, uint32_t h, double out[2]);
/* As tls_replay_budget. */
void http_replay_budget(http_pool_t *p, size_t max, size_t *used);

#endif
