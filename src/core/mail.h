/* mail: e-mail addresses, and the encodings an Internet message needs
 * (RFC 5322 headers, RFC 2047 encoded-words, RFC 2045 quoted-printable).
 *
 * Contract:
 * - mail_address_valid accepts the plain ASCII form most of the world uses,
 *   local@domain: a dot-atom local part of at most 64 bytes, a domain of
 *   letter/digit/hyphen labels, 254 bytes in all. Quoted local parts, address
 *   literals and non-ASCII addresses (SMTPUTF8) are refused: whoever holds one
 *   gets no mail rather than a mail that could break a header.
 * - mail_mailbox_parse reads a configured sender, "address" or
 *   "Display Name <address>" (the name optionally in double quotes), into its
 *   parts, borrowed from the input. The name must be valid UTF-8 text with no
 *   control character, quote or backslash.
 * - The header writers end every line with CRLF and keep lines within 78 bytes
 *   (998 at worst, for a long address): text that is not printable ASCII, or
 *   would not fit, becomes UTF-8 "B" encoded-words of whole characters, folded
 *   one per line. Control characters in a value become spaces: a value can
 *   never start a header of its own.
 * - mail_put_body_qp writes UTF-8 text (lines separated by LF or CRLF) as
 *   quoted-printable: 7-bit, CRLF, lines of at most 76 bytes, trailing spaces
 *   encoded, and no line starting with "." (SMTP dot-stuffing never applies).
 */
#ifndef CARTABLE_CORE_MAIL_H
#define CARTABLE_CORE_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

#define MAIL_ADDRESS_MAX 254
#define MAIL_LINE_MAX 78 /* RFC 5322's "SHOULD"; 998 is the "MUST" */

bool mail_address_valid(str_t addr);
/* 0, or -1 when s is not a mailbox as above. */
int mail_mailbox_parse(str_t s, str_t *name, str_t *addr);

/* "Subject: value" (unstructured text). */
void mail_put_header_text(buf_t *out, const char *name, str_t value);
/* "To: Display Name <address>", or "To: address" when the name is empty. */
void mail_put_header_mailbox(buf_t *out, const char *name, str_t display, str_t addr);
/* "Date: Tue, 01 Dec 2026 05:00:00 +0000". */
void mail_put_header_date(buf_t *out, int64_t unix_seconds);
void mail_put_body_qp(buf_t *out, str_t text);

#endif
