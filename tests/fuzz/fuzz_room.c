/* Fuzzes the live room from what a participant controls: a client message is
 * parsed, decided by the room's owner as a host, a participant and a guest, and
 * applied to a copy. Properties: no crash or leak; the copy reaches the owner's
 * state; every event and welcome rendered is valid JSON. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "live/room.h"

static void must_be_json(const buf_t *b)
{
    json_error_t err;
    json_t *j = json_loadb(b->data, b->len, 0, &err);
    if (!j || !json_is_object(j))
        abort();
    json_decref(j);
}

static void welcome_json(const room_t *r, int64_t you, room_role_t role, buf_t *b)
{
    buf_clear(b);
    room_welcome_json(r, you, role, "x", b);
    must_be_json(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    room_t *owner = room_new(1), *copy = room_new(1);
    const struct { int64_t id; room_role_t role; const char *name; } who[] = {
        {10, ROOM_HOST, "Prof \"<x>\""}, {20, ROOM_PARTICIPANT, "Élève"}, {-3, ROOM_GUEST, "Invité"}};
    room_cmd_t open = {.kind = ROOM_OPEN, .room_id = 1, .ends_at = 1};
    room_cmd_set_text(&open, "t", 1);
    buf_t b;
    buf_init(&b, NULL, 256);
    room_cmd_t setup[4] = {open};
    for (int i = 0; i < 2; i++) {
        setup[i + 1] = (room_cmd_t){.kind = ROOM_JOIN, .room_id = 1, .actor = who[i].id, .role = who[i].role};
        room_name_copy(setup[i + 1].name, who[i].name, strlen(who[i].name));
    }
    setup[3] = (room_cmd_t){.kind = ROOM_KNOCK, .room_id = 1, .actor = -3, .role = ROOM_GUEST};
    for (int i = 0; i < 4; i++) {
        if (room_decide(owner, &setup[i]) != ROOM_ACCEPTED)
            abort();
        room_apply(copy, &setup[i]);
    }
    room_cmd_clear(&setup[0]);
    /* The input is several messages separated by newlines, each sent by a role
     * chosen by its first byte. */
    size_t start = 0;
    while (start < size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size;
        if (end > start) {
            int k = data[start] % 3;
            room_cmd_t c = {0};
            bool ping = false;
            const char *err = room_parse((const char *)data + start + 1, end - start - 1, &c, &ping);
            if (!err && !ping) {
                c.room_id = 1;
                c.actor = who[k].id;
                c.role = who[k].role;
                room_name_copy(c.name, who[k].name, strlen(who[k].name));
                if (room_decide(owner, &c) == ROOM_ACCEPTED) {
                    room_apply(copy, &c);
                    buf_clear(&b);
                    room_event_json(owner, &c, &b);
                    must_be_json(&b);
                }
                room_cmd_clear(&c);
            } else if (err && (c.text || c.nchoices)) {
                abort(); /* a refusal leaves nothing to free */
            }
        }
        start = end + 1;
    }
    if (owner->seq != copy->seq || owner->present != copy->present || owner->nchat != copy->nchat)
        abort();
    buf_t a;
    buf_init(&a, NULL, 256);
    for (int k = 0; k < 3; k++) {
        welcome_json(owner, who[k].id, who[k].role, &a);
        welcome_json(copy, who[k].id, who[k].role, &b);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            abort();
    }
    buf_dispose(&a);
    buf_dispose(&b);
    room_free(owner);
    room_free(copy);
    return 0;
}
