/* The template engine: context-aware escaping, control flow, layouts, messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "test_web_generated.h"
#include "web/template.h"

static char *render(arena_t *a, unsigned id, value_t *view, unsigned lang)
{
    buf_t out;
    buf_init(&out, a, 256);
    tpl_render_set(&test_tpl_set, &out, id, NULL, view, lang);
    return out.data;
}

static void escaping_depends_on_context(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    value_t *v = value_map(&a);
    value_set_cstr(v, "v", "<b>\"Tom\" & 'Jerry'</b>");
    value_set_cstr(v, "url", "javascript:alert(1)");
    value_set_cstr(v, "lang", "fr");
    value_set_int(v, "n", -42);
    value_set(v, "pi", value_number(&a, 3.25));
    value_set_bool(v, "yes", true);
    char *html = render(&a, TEST_TPL_escaping, v, TEST_LANG_FR);
    /* attribute: quotes escaped */
    assert_non_null(strstr(html, "title=\"&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;\""));
    /* text: only & < > */
    assert_non_null(strstr(html, ">&lt;b&gt;\"Tom\" &amp; 'Jerry'&lt;/b&gt;</p>"));
    /* a whole URL with a dangerous scheme is neutralised */
    assert_non_null(strstr(html, "href=\"#blocked\""));
    assert_null(strstr(html, "javascript"));
    /* a URL part is percent-encoded */
    assert_non_null(strstr(html, "q=%3Cb%3E%22Tom%22%20%26%20%27Jerry%27%3C%2Fb%3E&amp;lang=fr"));
    /* messages are escaped for their context too, arguments included */
    assert_non_null(strstr(html, "alt=\"Texte « simple »\""));
    assert_non_null(strstr(html, "<p>Bonjour &lt;b&gt;\"Tom\" &amp; 'Jerry'&lt;/b&gt; &amp; bienvenue</p>"));
    /* assets resolve to their fingerprinted URL at build time */
    assert_non_null(strstr(html, "src=\"/assets/dot."));
    assert_non_null(strstr(html, "<p>-42 3.25 true </p>"));

    char *en = render(&a, TEST_TPL_escaping, v, TEST_LANG_EN);
    assert_non_null(strstr(en, "alt=\"Plain &quot;text&quot;\""));
    assert_non_null(strstr(en, "Hello "));

    value_set_cstr(v, "url", "https://example.org/a?b=c&d=e");
    html = render(&a, TEST_TPL_escaping, v, TEST_LANG_FR);
    assert_non_null(strstr(html, "href=\"https://example.org/a?b=c&amp;d=e\""));
    value_set_cstr(v, "url", " \tJaVaScRiPt:alert(1)");
    html = render(&a, TEST_TPL_escaping, v, TEST_LANG_FR);
    assert_non_null(strstr(html, "href=\"#blocked\""));
    value_set_cstr(v, "url", "java\tscript:alert(1)");
    html = render(&a, TEST_TPL_escaping, v, TEST_LANG_FR);
    assert_non_null(strstr(html, "href=\"#blocked\""));
    value_set_cstr(v, "url", "/relative/path?x=1");
    html = render(&a, TEST_TPL_escaping, v, TEST_LANG_FR);
    assert_non_null(strstr(html, "href=\"/relative/path?x=1\""));
    arena_free(&a);
}

static value_t *item(arena_t *a, const char *name, bool done, const char *tag)
{
    value_t *m = value_map(a);
    value_set_cstr(m, "name", name);
    value_set_bool(m, "done", done);
    value_t *tags = value_set_list(m, "tags");
    if (tag)
        value_push(tags, value_cstr(a, tag));
    return m;
}

static void loops_and_conditions(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    value_t *v = value_map(&a);
    value_t *items = value_set_list(v, "items");
    value_push(items, item(&a, "Maths", true, "urgent"));
    value_push(items, item(&a, "<Histoire>", false, NULL));
    value_set_map(v, "user");
    value_set_int(v, "done_count", 12);
    value_set_int(v, "total", 30);
    value_set_bool(v, "checked", true);
    char *html = render(&a, TEST_TPL_control, v, TEST_LANG_FR);
    assert_non_null(strstr(html, "<ul><li data-i=\"0\">1. Maths ✔[urgent]</li><li data-i=\"1\">2. &lt;Histoire&gt; …</li></ul>"));
    assert_null(strstr(html, "empty"));
    assert_null(strstr(html, "<p></p>")); /* user.name missing: the if is false */
    assert_non_null(strstr(html, "<p>12 élève(s) sur 30</p>"));
    assert_non_null(strstr(html, "<input type=\"checkbox\" checked name=\"c\">"));

    value_t *empty = value_map(&a);
    value_set_list(empty, "items");
    value_set_map(empty, "user");
    value_set_cstr(value_get(empty, "user", 4), "name", "Zoé");
    html = render(&a, TEST_TPL_control, empty, TEST_LANG_EN);
    assert_non_null(strstr(html, "<ul><li>none</li></ul>"));
    assert_non_null(strstr(html, "<p>empty</p>"));
    assert_non_null(strstr(html, "<p>Zoé</p>"));
    assert_non_null(strstr(html, "<input type=\"checkbox\" name=\"c\">"));
    arena_free(&a);
}

static void layouts_blocks_and_partials(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    value_t *v = value_map(&a);
    value_set_cstr(v, "name", "A&B");
    char *html = render(&a, TEST_TPL_page, v, TEST_LANG_FR);
    assert_non_null(strstr(html, "<title>Page A&amp;B</title>"));
    assert_non_null(strstr(html, "<main><div class=\"card\">A&amp;B</div>\n</main>"));
    assert_non_null(strstr(html, "<footer>default footer</footer>"));
    assert_null(strstr(html, "comment"));
    html = render(&a, TEST_TPL_base, NULL, TEST_LANG_FR);
    assert_non_null(strstr(html, "<title>Default title</title>"));
    arena_free(&a);
}

static void whitespace_is_collapsed_except_in_pre(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    char *html = render(&a, TEST_TPL_whitespace, NULL, TEST_LANG_FR);
    assert_string_equal(html, "<div>\n<p>a b\nc</p>\n<pre>  keep\n   this  </pre>\n<span class=\"x\" id=\"y\">z</span>\n</div>\n");
    arena_free(&a);
}

static void site_scope_is_searched_last(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    value_t *site = value_map(&a);
    value_set_cstr(site, "name", "from site");
    buf_t out;
    buf_init(&out, &a, 64);
    tpl_render_set(&test_tpl_set, &out, TEST_TPL_parts_card, site, NULL, 0);
    assert_string_equal(out.data, "<div class=\"card\">from site</div>\n");
    value_t *view = value_map(&a);
    value_set_cstr(view, "name", "from view");
    buf_clear(&out);
    tpl_render_set(&test_tpl_set, &out, TEST_TPL_parts_card, site, view, 0);
    assert_string_equal(out.data, "<div class=\"card\">from view</div>\n");
    arena_free(&a);
}

static void url_scheme_check(void **state)
{
    (void)state;
    assert_true(url_scheme_safe("https://x", 9));
    assert_true(url_scheme_safe("mailto:a@b", 10));
    assert_true(url_scheme_safe("tel:+33", 7));
    assert_true(url_scheme_safe("/a:b", 4));
    assert_true(url_scheme_safe("a/b:c", 5));
    assert_true(url_scheme_safe("", 0));
    assert_false(url_scheme_safe("data:text/html,x", 16));
    assert_false(url_scheme_safe("vbscript:x", 10));
    assert_false(url_scheme_safe("\x01javascript:x", 13));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escaping_depends_on_context),
        cmocka_unit_test(loops_and_conditions),
        cmocka_unit_test(layouts_blocks_and_partials),
        cmocka_unit_test(whitespace_is_collapsed_except_in_pre),
        cmocka_unit_test(site_scope_is_searched_last),
        cmocka_unit_test(url_scheme_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
