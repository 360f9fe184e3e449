/* The news pages (list, one item, the publishing form) and their JSON API twin
 * (src/api/news.c).
 *
 * Contract: news_register_routes adds both. What reaches whom is the news
 * module's (domain/news.h); who may publish where is policy's
 * (POLICY_NEWS_PUBLISH on the school or the class). Opening an item records the
 * read (one write, answered after its commit). Read counts are shown to the
 * author and the school's staff (POLICY_SCHOOL_LIFE).
 */
#ifndef CARTABLE_WEB_NEWS_H
#define CARTABLE_WEB_NEWS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/policy.h"
#include "domain/news.h"
#include "http/request.h"
#include "http/router.h"
#include "web_generated.h"

int news_register_routes(router_t *router, char *err, size_t errlen);
/* The API half, registered by news_register_routes. */
int news_api_register_routes(router_t *router, char *err, size_t errlen);

msg_id_t news_problem_msg(news_problem_t p);
/* Completes a draft's school from its class and says whether p may publish it:
 * 1 allowed, 0 refused, NEWS_NO_TARGET no such class or school, or a negative
 * store status. */
enum { NEWS_NO_TARGET = 2 };
int news_may_publish(request_t *r, const principal_t *p, news_draft_t *d);
/* May p see the read counts of this item (its author, the school's staff)? */
bool news_sees_reads(const principal_t *p, const news_item_t *n);

#endif
