/* embedded: the shapes of what the build compiles into the binary.
 *
 * tools/webgen.c reads src/web/templates, src/web/i18n and src/web/assets and
 * writes web_generated.c / web_generated.h with data of these types: template
 * programs (ops), message catalogues and static assets. Nothing here changes at
 * run time; every thread reads it without locks.
 */
#ifndef CARTABLE_WEB_EMBEDDED_H
#define CARTABLE_WEB_EMBEDDED_H

#include <stddef.h>
#include <stdint.h>

/* How a substitution is escaped; decided by the template compiler from where the
 * substitution stands in the HTML. */
typedef enum tpl_escape {
    TPL_ESC_TEXT = 0,  /* element text: & < > escaped */
    TPL_ESC_ATTR,      /* quoted attribute value: & < > " ' escaped */
    TPL_ESC_URL,       /* a whole URL attribute: scheme checked, then escaped as an attribute */
    TPL_ESC_URL_PART,  /* inside a URL after a fixed prefix: percent-encoded */
} tpl_escape_t;

typedef enum tpl_opcode {
    TPL_OP_END = 0,
    TPL_OP_TEXT,    /* a = text offset, b = length */
    TPL_OP_VAR,     /* a = path index, esc */
    TPL_OP_MSG,     /* a = message id, nargs = following TPL_OP_ARG ops, esc */
    TPL_OP_ARG,     /* a = path index */
    TPL_OP_IF,      /* a = path index, b = jump target when false */
    TPL_OP_UNLESS,  /* a = path index, b = jump target when true */
    TPL_OP_JUMP,    /* b = target */
    TPL_OP_EACH,    /* a = path index, b = jump target when empty */
    TPL_OP_NEXT,    /* b = loop body start */
} tpl_opcode_t;

typedef struct tpl_op {
    uint8_t code;
    uint8_t esc;
    uint16_t nargs;
    uint32_t a;
    uint32_t b;
} tpl_op_t;

typedef enum tpl_path_kind {
    TPL_PATH_NAMES = 0, /* a.b.c looked up from the innermost scope outwards */
    TPL_PATH_DOT,       /* the current loop item */
    TPL_PATH_INDEX,     /* @index: 0-based loop position */
    TPL_PATH_NUMBER,    /* @number: 1-based loop position */
} tpl_path_kind_t;

#define TPL_PATH_MAX_SEGMENTS 6

typedef struct tpl_path {
    uint8_t kind;
    uint8_t nsegs;
    const char *segs[TPL_PATH_MAX_SEGMENTS];
    uint8_t lens[TPL_PATH_MAX_SEGMENTS];
} tpl_path_t;

typedef struct tpl_program {
    const char *name;
    const tpl_op_t *ops;
    uint32_t nops;
} tpl_program_t;

/* Everything one webgen run produced for templates: the program table, the text
 * pool, the paths and the message catalogues (messages[lang * nmessages + id]). */
typedef struct tpl_set {
    const tpl_program_t *programs;
    const char *text;
    const tpl_path_t *paths;
    const char *const *messages;
    unsigned nmessages;
    unsigned nlangs;
} tpl_set_t;

typedef struct embedded_asset {
    const char *name;          /* "style.css" */
    const char *url;           /* "/assets/style.1a2b3c4d5e.css" (fingerprinted) */
    const char *plain_url;     /* "/assets/style.css" */
    const char *mime;
    const unsigned char *data;
    size_t size;
    const unsigned char *gzip; /* NULL when gzip would not help */
    size_t gzip_size;
    const char *etag;          /* strong ETag, quoted */
    int compressible;
} embedded_asset_t;

#endif
