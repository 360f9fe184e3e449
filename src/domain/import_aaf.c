/* The AAF export of the French education directory (docs/formats/aaf.md):
 * ENT_<UAI>_Complet_<date>_{EtabEducNat,Eleve,PersRelEleve,PersEducNat}_NNNN.xml.
 *
 * Each file is a <ficAlimMENESR> of <addRequest> records: an identifier and
 * named multi-valued attributes. Multi-school values are "structure-id$value".
 * The files are parsed without network, DTD loading or entity substitution.
 */
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "domain/import.h"

#define AAF_FILE_MAX (256u << 20)

typedef struct attr {
    const char *name;
    str_t *values;
    int nvalues;
} attr_t;

typedef struct record {
    str_t id;
    str_t category;
    attr_t *attrs;
    int nattrs;
    int line;
    const char *file;
} record_t;

typedef struct aaf {
    arena_t *a;
    char *err;
    size_t errlen;
    record_t *recs;
    int nrecs;
} aaf_t;

static str_t text_of(aaf_t *x, xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    if (!c)
        return STR("");
    size_t len = strlen((const char *)c);
    str_t s = {arena_strndup(x->a, (const char *)c, len), len};
    xmlFree(c);
    return str_trim(s);
}

static bool named(xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static bool fail(aaf_t *x, const char *file, int line, const char *what)
{
    const char *base = strrchr(file, '/');
    snprintf(x->err, x->errlen, "%s:%d: %s", base ? base + 1 : file, line, what);
    return false;
}

static bool read_attrs(aaf_t *x, xmlNode *parent, record_t *rec)
{
    for (xmlNode *a = parent->children; a; a = a->next) {
        if (a->type != XML_ELEMENT_NODE)
            continue;
        if (!named(a, "attr"))
            return fail(x, rec->file, (int)xmlGetLineNo(a), "only <attr> elements belong here");
        xmlChar *name = xmlGetProp(a, (const xmlChar *)"name");
        if (!name)
            return fail(x, rec->file, (int)xmlGetLineNo(a), "<attr> without a name");
        attr_t *at;
        rec->attrs = import_grow(x->a, rec->attrs, rec->nattrs, sizeof(attr_t));
        at = &rec->attrs[rec->nattrs++];
        at->name = arena_strdup(x->a, (const char *)name);
        at->values = NULL;
        at->nvalues = 0;
        xmlFree(name);
        for (xmlNode *v = a->children; v; v = v->next) {
            if (!named(v, "value"))
                continue;
            str_t t = text_of(x, v);
            if (text_check(t.ptr, t.len) != TEXT_OK)
                return fail(x, rec->file, (int)xmlGetLineNo(v), "a value holds invalid text");
            at->values = import_grow(x->a, at->values, at->nvalues, sizeof(str_t));
            at->values[at->nvalues++] = t;
        }
    }
    return true;
}

static bool read_file(aaf_t *x, const char *path, const char *want_category)
{
    /* No XML_PARSE_NOENT, no XML_PARSE_DTDLOAD: the DOCTYPE's external DTD is not
     * fetched and entities are not substituted. */
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        char what[300];
        snprintf(what, sizeof what, "not well-formed XML: %s", e && e->message ? e->message : "unreadable");
        size_t l = strlen(what);
        while (l && (what[l - 1] == '\n' || what[l - 1] == ' '))
            what[--l] = '\0';
        return fail(x, path, e ? e->line : 0, what);
    }
    bool ok = true;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !named(root, "ficAlimMENESR")) {
        ok = fail(x, path, root ? (int)xmlGetLineNo(root) : 1, "the root element is not <ficAlimMENESR>");
        goto out;
    }
    for (xmlNode *n = root->children; n && ok; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        int line = (int)xmlGetLineNo(n);
        if (named(n, "modifyRequest") || named(n, "deleteRequest")) {
            ok = fail(x, path, line, "a delta export (modifyRequest/deleteRequest): import the \"Complet\" export");
            break;
        }
        if (!named(n, "addRequest")) {
            ok = fail(x, path, line, "unexpected element (addRequest expected)");
            break;
        }
        x->recs = import_grow(x->a, x->recs, x->nrecs, sizeof(record_t));
        record_t *rec = &x->recs[x->nrecs++];
        memset(rec, 0, sizeof *rec);
        rec->line = line;
        rec->file = arena_strdup(x->a, path);
        for (xmlNode *c = n->children; c && ok; c = c->next) {
            if (named(c, "identifier")) {
                for (xmlNode *i = c->children; i; i = i->next)
                    if (named(i, "id"))
                        rec->id = text_of(x, i);
            } else if (named(c, "operationalAttributes")) {
                record_t op = {.file = rec->file};
                ok = read_attrs(x, c, &op);
                for (int k = 0; ok && k < op.nattrs; k++)
                    if ((!strcmp(op.attrs[k].name, "categoriePersonne") || !strcmp(op.attrs[k].name, "categorieStructure")) &&
                        op.attrs[k].nvalues)
                        rec->category = op.attrs[k].values[0];
            } else if (named(c, "attributes")) {
                ok = read_attrs(x, c, rec);
            }
        }
        if (!ok)
            break;
        if (rec->id.len == 0 || rec->id.len > 64) {
            ok = fail(x, path, line, "addRequest without an identifier");
            break;
        }
        if (rec->category.len && !str_eq_cstr(rec->category, want_category)) {
            char what[200];
            snprintf(what, sizeof what, "a %.*s record in the %s file", (int)rec->category.len, rec->category.ptr,
                     want_category);
            ok = fail(x, path, line, what);
        }
        rec->category = str_from(want_category);
    }
out:
    xmlFreeDoc(doc);
    return ok;
}

static const attr_t *attr(const record_t *r, const char *name)
{
    for (int i = 0; i < r->nattrs; i++)
        if (strcmp(r->attrs[i].name, name) == 0)
            return &r->attrs[i];
    return NULL;
}

static str_t first(const record_t *r, const char *name)
{
    const attr_t *a = attr(r, name);
    return a && a->nvalues ? a->values[0] : STR("");
}

/* "1234$4E3" -> "4E3" when 1234 is the structure; the whole value when there is no '$'. */
static bool for_structure(str_t v, str_t structure, str_t *rest)
{
    str_t after;
    str_t head = str_cut(v, '$', &after);
    if (!after.ptr) {
        *rest = v;
        return true;
    }
    if (!str_eq(head, structure))
        return false;
    *rest = after;
    return true;
}

static bool has_structure(const record_t *r, const char *name, str_t structure)
{
    const attr_t *a = attr(r, name);
    for (int i = 0; a && i < a->nvalues; i++) {
        str_t rest;
        if (for_structure(a->values[i], structure, &rest) && (str_eq(a->values[i], structure) || rest.len))
            return true;
    }
    return false;
}

typedef struct builder {
    aaf_t *x;
    import_data_t *d;
} builder_t;

/* "ENT_..._Eleve_0000.xml:12": the file's name and the record's line. */
static const char *record_where(builder_t *b, const record_t *r)
{
    const char *base = strrchr(r->file, '/');
    return arena_printf(b->x->a, "%s:%d", base ? base + 1 : r->file, r->line);
}

static void add_class(builder_t *b, str_t code, str_t name, str_t level, const char *where)
{
    for (int i = 0; i < b->d->nclasses; i++)
        if (str_eq(b->d->classes[i].code, code)) {
            if (!b->d->classes[i].level.len)
                b->d->classes[i].level = level;
            return;
        }
    b->d->classes = import_grow(b->x->a, b->d->classes, b->d->nclasses, sizeof(import_class_t));
    b->d->classes[b->d->nclasses++] = (import_class_t){code, name.len ? name : code, level, where};
}

static void add_group(builder_t *b, str_t code, str_t name, const char *where)
{
    for (int i = 0; i < b->d->ngroups; i++)
        if (str_eq(b->d->groups[i].code, code))
            return;
    b->d->groups = import_grow(b->x->a, b->d->groups, b->d->ngroups, sizeof(import_class_t));
    b->d->groups[b->d->ngroups++] = (import_class_t){code, name.len ? name : code, STR(""), where};
}

/* A subject's code from its label: upper-case ASCII letters and digits, 32 at most. */
static str_t add_subject(builder_t *b, str_t label, const char *where)
{
    char *code = arena_alloc(b->x->a, 33);
    size_t n = 0;
    for (size_t i = 0; i < label.len && n < 32; i++) {
        char c = label.ptr[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            code[n++] = c;
        else if (n && code[n - 1] != '_')
            code[n++] = '_';
    }
    while (n && code[n - 1] == '_')
        n--;
    if (n == 0)
        code[n++] = 'X';
    code[n] = '\0';
    str_t c = {code, n};
    for (int i = 0; i < b->d->nsubjects; i++)
        if (str_eq(b->d->subjects[i].code, c))
            return b->d->subjects[i].code;
    b->d->subjects = import_grow(b->x->a, b->d->subjects, b->d->nsubjects, sizeof(import_subject_t));
    b->d->subjects[b->d->nsubjects++] = (import_subject_t){c, label, where};
    return c;
}

static import_person_t *add_person(builder_t *b, const record_t *r, role_t role)
{
    b->d->people = import_grow(b->x->a, b->d->people, b->d->npeople, sizeof(import_person_t));
    import_person_t *p = &b->d->people[b->d->npeople++];
    memset(p, 0, sizeof *p);
    p->where = record_where(b, r);
    p->id = r->id;
    p->role = role;
    p->last_name = first(r, "sn");
    p->first_name = first(r, "givenName");
    p->email = first(r, "mail");
    return p;
}

static bool list_files(const char *dir, const char *uai, const char *kind, char ***out, int *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open the directory", dir);
        return false;
    }
    struct dirent *e;
    char needle[64];
    snprintf(needle, sizeof needle, "_%s_", kind);
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        size_t l = strlen(name);
        if (l < 5 || strcmp(name + l - 4, ".xml") != 0 || !strstr(name, needle))
            continue;
        if (uai && !strstr(name, uai))
            continue;
        *out = xrealloc(*out, sizeof(char *) * (size_t)(*n + 1));
        (*out)[(*n)++] = xstrdup(name);
    }
    closedir(d);
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool read_kind(aaf_t *x, const char *dir, const char *uai, const char *kind, bool required, int *start, int *end)
{
    char **files = NULL;
    int n = 0;
    *start = x->nrecs;
    if (!list_files(dir, uai, kind, &files, &n, x->err, x->errlen))
        return false;
    if (n > 1)
        qsort(files, (size_t)n, sizeof(char *), cmp_names);
    bool ok = true;
    if (n == 0 && required) {
        snprintf(x->err, x->errlen, "%s: no *_%s_*.xml file%s%s", dir, kind, uai ? " for UAI " : "", uai ? uai : "");
        ok = false;
    }
    for (int i = 0; i < n && ok; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        ok = read_file(x, path, kind);
    }
    for (int i = 0; i < n; i++)
        free(files[i]);
    free(files);
    *end = x->nrecs;
    return ok;
}

static str_t school_kind_of(str_t type)
{
    /* ENTStructureTypeStruct: "COLLEGE", "LYCEE PROFESSIONNEL", "LYCEE GENERAL ET TECHNOLOGIQUE", "ECOLE ..." */
    if (str_starts_with(type, STR("COLLEGE")) || str_starts_with(type, STR("CLG")))
        return STR("college");
    if (str_starts_with(type, STR("LYCEE PROF")) || str_starts_with(type, STR("LP")))
        return STR("lycee_pro");
    if (str_starts_with(type, STR("LYCEE")) || str_starts_with(type, STR("LYC")))
        return STR("lycee");
    if (str_starts_with(type, STR("ECOLE")))
        return STR("ecole");
    return STR("autre");
}

bool import_read_aaf(arena_t *a, const char *dir, const char *uai, import_data_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    aaf_t x = {.a = a, .err = err, .errlen = errlen};
    builder_t b = {&x, out};
    int es, ee, ps, pe, rs, re, ns, ne;
    if (!read_kind(&x, dir, uai, "EtabEducNat", true, &es, &ee) || !read_kind(&x, dir, uai, "Eleve", true, &ps, &pe) ||
        !read_kind(&x, dir, uai, "PersRelEleve", true, &rs, &re) ||
        !read_kind(&x, dir, uai, "PersEducNat", true, &ns, &ne))
        return false;

    /* the school */
    const record_t *etab = NULL;
    for (int i = es; i < ee; i++) {
        str_t u = first(&x.recs[i], "ENTStructureUAI");
        if (!uai || str_eq_cstr(u, uai)) {
            if (etab) {
                snprintf(err, errlen, "EtabEducNat: several schools; give the UAI to import");
                return false;
            }
            etab = &x.recs[i];
        }
    }
    if (!etab) {
        snprintf(err, errlen, "EtabEducNat: no school%s%s in the files", uai ? " with UAI " : "", uai ? uai : "");
        return false;
    }
    str_t structure = etab->id;
    out->uai = first(etab, "ENTStructureUAI");
    out->school_name = first(etab, "ENTStructureNomCourant");
    out->school_kind = school_kind_of(first(etab, "ENTStructureTypeStruct"));
    out->city = first(etab, "l");
    out->ns = STR("aaf");
    const char *etab_where = record_where(&b, etab);
    const attr_t *sc = attr(etab, "ENTStructureClasses");
    for (int i = 0; sc && i < sc->nvalues; i++) {
        str_t label;
        str_t code = str_cut(sc->values[i], '$', &label);
        add_class(&b, code, label.ptr ? label : code, STR(""), etab_where);
    }
    const attr_t *sg = attr(etab, "ENTStructureGroupes");
    for (int i = 0; sg && i < sg->nvalues; i++) {
        str_t label;
        str_t code = str_cut(sg->values[i], '$', &label);
        add_group(&b, code, label.ptr ? label : code, etab_where);
    }

    /* pupils, and which parents they name */
    for (int i = ps; i < pe; i++) {
        const record_t *r = &x.recs[i];
        if (!str_eq(first(r, "ENTPersonStructRattach"), structure) && !has_structure(r, "ENTEleveClasses", structure))
            continue;
        import_person_t *p = add_person(&b, r, ROLE_PUPIL);
        str_t birth = first(r, "ENTPersonDateNaissance");
        date_t bd;
        if (birth.len) {
            if (!date_parse_fr(birth, &bd) && !date_parse_iso(birth, &bd))
                return fail(&x, r->file, r->line, "ENTPersonDateNaissance is not a date (DD/MM/YYYY)");
            char *iso = arena_alloc(a, 11);
            date_format_iso(bd, iso);
            p->birth_date = (str_t){iso, 10};
        }
        const attr_t *cls = attr(r, "ENTEleveClasses");
        for (int k = 0; cls && k < cls->nvalues; k++) {
            str_t code;
            if (for_structure(cls->values[k], structure, &code) && code.len) {
                if (p->class_code.len && !str_eq(p->class_code, code))
                    return fail(&x, r->file, r->line, "a pupil in two classes of the same school");
                p->class_code = code;
                str_t mef = first(r, "ENTEleveLibelleMEF");
                char *level = arena_strndup(a, mef.ptr, mef.len);
                for (char *c = level; *c; c++)
                    if (*c >= 'A' && *c <= 'Z')
                        *c = (char)(*c + 32);
                add_class(&b, code, code, str_from(level), p->where);
            }
        }
        const attr_t *grp = attr(r, "ENTEleveGroupes");
        for (int k = 0; grp && k < grp->nvalues; k++) {
            str_t code;
            if (for_structure(grp->values[k], structure, &code) && code.len) {
                add_group(&b, code, code, p->where);
                p->groups = import_grow(a, p->groups, p->ngroups, sizeof(str_t));
                p->groups[p->ngroups++] = code;
            }
        }
        const attr_t *parents = attr(r, "ENTEleveAutoriteParentale");
        if (!parents || !parents->nvalues)
            parents = attr(r, "ENTEleveParents");
        str_t father = first(r, "ENTElevePere"), mother = first(r, "ENTEleveMere");
        for (int k = 0; parents && k < parents->nvalues; k++) {
            str_t pid = parents->values[k];
            if (!pid.len)
                continue;
            out->links = import_grow(a, out->links, out->nlinks, sizeof(import_link_t));
            out->links[out->nlinks++] = (import_link_t){pid, r->id,
                                                        str_eq(pid, father)   ? STR("pere")
                                                        : str_eq(pid, mother) ? STR("mere")
                                                                              : STR("responsable"),
                                                        true, p->where};
        }
    }

    /* parents: those a pupil of this school names */
    for (int i = rs; i < re; i++) {
        const record_t *r = &x.recs[i];
        bool named_by_pupil = false;
        for (int k = 0; k < out->nlinks && !named_by_pupil; k++)
            named_by_pupil = str_eq(out->links[k].parent_id, r->id);
        if (named_by_pupil)
            add_person(&b, r, ROLE_PARENT);
    }
    /* links to parents missing from PersRelEleve cannot be kept */
    int kept = 0;
    for (int k = 0; k < out->nlinks; k++) {
        bool known = false;
        for (int i = 0; i < out->npeople && !known; i++)
            known = out->people[i].role == ROLE_PARENT && str_eq(out->people[i].id, out->links[k].parent_id);
        if (known)
            out->links[kept++] = out->links[k];
    }
    out->nlinks = kept;

    /* staff and teachers */
    for (int i = ns; i < ne; i++) {
        const record_t *r = &x.recs[i];
        const attr_t *fn = attr(r, "ENTPersonFonctions");
        bool here = str_eq(first(r, "ENTPersonStructRattach"), structure), dir_role = false, teaches = false;
        for (int k = 0; fn && k < fn->nvalues; k++) {
            str_t rest;
            if (!for_structure(fn->values[k], structure, &rest) || str_eq(rest, fn->values[k]))
                continue;
            here = true;
            str_t code = str_cut(rest, '$', NULL);
            dir_role |= str_eq(code, STR("DIR"));
            teaches |= str_eq(code, STR("ENS"));
        }
        if (!here)
            continue;
        teaches |= str_eq(first(r, "PersEducNatPresenceDevantEleves"), STR("O"));
        role_t role = dir_role ? ROLE_SCHOOL_ADMIN : teaches ? ROLE_TEACHER : ROLE_STAFF;
        const char *where = add_person(&b, r, role)->where;
        if (role != ROLE_TEACHER)
            continue;
        /* teaching: "struct$class$subject" pairs when the export has them */
        const char *pair_attrs[2] = {"ENTAuxEnsClassesMatieres", "ENTAuxEnsGroupesMatieres"};
        bool had_pairs = false;
        for (int kind = 0; kind < 2; kind++) {
            const attr_t *pairs = attr(r, pair_attrs[kind]);
            for (int k = 0; pairs && k < pairs->nvalues; k++) {
                str_t rest, subject;
                if (!for_structure(pairs->values[k], structure, &rest) || str_eq(rest, pairs->values[k]))
                    continue;
                str_t target = str_cut(rest, '$', &subject);
                if (!subject.ptr || !target.len || !subject.len)
                    continue;
                had_pairs = true;
                if (kind == 0)
                    add_class(&b, target, target, STR(""), where);
                else
                    add_group(&b, target, target, where);
                out->teaching = import_grow(a, out->teaching, out->nteaching, sizeof(import_teaching_t));
                out->teaching[out->nteaching++] =
                    (import_teaching_t){r->id, add_subject(&b, subject, where), kind == 0 ? target : STR(""),
                                        kind == 1 ? target : STR(""), where};
            }
        }
        if (had_pairs)
            continue;
        /* otherwise each class and group taught, for each subject taught here */
        const attr_t *subj = attr(r, "ENTAuxEnsMatiereEnseignEtab");
        const char *target_attrs[2] = {"ENTAuxEnsClasses", "ENTAuxEnsGroupes"};
        for (int s = 0; subj && s < subj->nvalues; s++) {
            str_t label;
            if (!for_structure(subj->values[s], structure, &label) || !label.len)
                continue;
            str_t scode = add_subject(&b, label, where);
            for (int kind = 0; kind < 2; kind++) {
                const attr_t *targets = attr(r, target_attrs[kind]);
                for (int k = 0; targets && k < targets->nvalues; k++) {
                    str_t target;
                    if (!for_structure(targets->values[k], structure, &target) || !target.len)
                        continue;
                    if (kind == 0)
                        add_class(&b, target, target, STR(""), where);
                    else
                        add_group(&b, target, target, where);
                    out->teaching = import_grow(a, out->teaching, out->nteaching, sizeof(import_teaching_t));
                    out->teaching[out->nteaching++] = (import_teaching_t){
                        r->id, scode, kind == 0 ? target : STR(""), kind == 1 ? target : STR(""), where};
                }
            }
        }
    }
    for (int r = 0; r < ROLE_COUNT; r++)
        out->has_role[r] = true;
    out->has_groups = out->has_links = out->has_teaching = true;
    return import_validate(out, err, errlen);
}
