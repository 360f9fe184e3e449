/* Fuzzes what a WebSocket peer controls before and after the upgrade: the Origin
 * and Host headers of the handshake, and the live channel's client messages. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/websocket.h"
#include "live/updates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    live_message_t m = live_parse_message(text, size);
    if ((unsigned)m > LIVE_MSG_UNKNOWN_TYPE)
        abort();
    if ((m == LIVE_MSG_PING) != (live_message_error(m) == NULL))
        abort();
    /* Origin and Host: split the input in two; the same text is always its own host's. */
    if (size == 0)
        return 0;
    size_t split = data[0] % size; /* the first byte says where */
    str_t origin = {text + 1, split}, host = {text + 1 + split, size - 1 - split};
    bool allowed = ws_origin_allowed(origin, host);
    if (allowed && (origin.len < 8 || memchr(origin.ptr, '/', origin.len) == NULL))
        abort(); /* only http(s)://... can be allowed */
    (void)ws_origin_allowed(STR_NULL, host);
    return 0;
}
