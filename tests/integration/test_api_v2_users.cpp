// Integration tests of the /api/auth/ profile and user-list endpoints (filters, pagination,
// detail) and of bad requests across the surface (413, 405, 415, non-object JSON).
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/api_v2_support.hpp"

namespace authd::test::api_v2 {
namespace {

// ---------------------------------------------------------------------------------------------
// profile

// Bad profile patches: too long, wrong types, not an object, another media type (each a 400 or
// 415); 150 characters is still allowed. Leaves first_name at 150 'a's.
void expect_profile_patch_refusals(ApiClient& c, const std::string& path,
                                   const std::string& token) {
    HttpResponse r = c.patch(path,
                             "{\"first_name\": " + json_quote(std::string(151, 'a')) +
                                 ", \"address\": " + json_quote(std::string(256, 'b')) +
                                 ", \"phone_number\": \"12ab\", \"last_name\": 7}",
                             token);
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(field_error(r, "first_name"), "Ensure this field has no more than 150 characters.")
        << r.body;
    EXPECT_EQ(field_error(r, "address"), "Ensure this field has no more than 255 characters.")
        << r.body;
    EXPECT_TRUE(json_has(r.body, "phone_number")) << r.body;
    EXPECT_EQ(field_error(r, "last_name"), "Not a valid string.") << r.body;
    r = c.patch(path, "{\"first_name\": " + json_quote(std::string(150, 'a')) + "}", token);
    EXPECT_EQ(r.status, 200) << "150 characters are allowed: " << r.body;
    expect_json_parse_error(c.patch(path, "\"Ann\"", token), "string body");
    r = c.call("PATCH", path, "first_name: Ann", token, "text/yaml");
    EXPECT_EQ(r.status, 415);
}

TEST_F(ApiV2, ProfileGetAndPatch) {
    ApiClient c = api();
    Account u = c.active_client("profile", root_token());
    ASSERT_GT(u.id, 0);
    const std::string path = "/api/auth/profile/";
    expect_missing_credentials(c.get(path), "GET anonymous");
    expect_bad_token(c.get(path, "garbage"), "GET garbage");
    expect_missing_credentials(c.patch(path, "{\"first_name\": \"X\"}"), "PATCH anonymous");
    expect_bad_token(c.patch(path, "{\"first_name\": \"X\"}", "garbage"), "PATCH garbage");

    HttpResponse r = c.get(path, u.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_keys(r.body), kProfileKeys);
    EXPECT_EQ(json_int(r.body, "id"), u.id);
    EXPECT_EQ(json_string(r.body, "username"), u.username);
    EXPECT_EQ(json_string(r.body, "last_name"), "Smith");
    EXPECT_EQ(json_string(r.body, "role"), "CLIENT");
    EXPECT_EQ(json_string(r.body, "updated_at").back(), 'Z');

    r = c.patch(
        path,
        "{\"first_name\": \"Ann\", \"address\": \"2 rue Neuve\", \"role\": \"AGENT\", \"email\": "
        "\"evil@example.com\", \"username\": \"hacker\", \"is_active\": false, \"id\": 1}",
        u.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_keys(r.body), kProfileKeys);
    EXPECT_EQ(json_string(r.body, "first_name"), "Ann");
    EXPECT_EQ(json_string(r.body, "address"), "2 rue Neuve");
    EXPECT_EQ(json_string(r.body, "last_name"), "Smith");
    EXPECT_EQ(json_string(r.body, "role"), "CLIENT") << "other fields are ignored";
    EXPECT_EQ(json_string(r.body, "username"), u.username);
    EXPECT_EQ(json_int(r.body, "id"), u.id);
    EXPECT_NE(json_string(r.body, "email"), "evil@example.com");
    EXPECT_TRUE(c.token_valid(u.tokens.access)) << "is_active was ignored";

    r = c.call("PATCH", path, "last_name=Doe&phone_number=%2B4912345678", u.tokens.access,
               "application/x-www-form-urlencoded");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "last_name"), "Doe");
    EXPECT_EQ(json_string(r.body, "phone_number"), "+4912345678");
    r = c.patch(path, "{\"phone_number\": \"\"}", u.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "phone_number"), "");
    r = c.patch(path, "{}", u.tokens.access);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "last_name"), "Doe");

    ASSERT_NO_FATAL_FAILURE(expect_profile_patch_refusals(c, path, u.tokens.access));
    r = c.get(path, u.tokens.access);
    EXPECT_EQ(json_string(r.body, "last_name"), "Doe") << "refused patches changed nothing";
    EXPECT_EQ(json_string(r.body, "first_name"), std::string(150, 'a'));
}

// ---------------------------------------------------------------------------------------------
// users list, pending, detail

// Six users sharing a tag, listed by an agent: three active clients (the second renamed
// "Zebulon<tag>"), two pending clients and the agent itself; ids sorted.
struct TaggedUsers {
    ApiClient* c = nullptr;
    std::string tag;
    std::vector<Account> active, pending;
    Account agent;
    std::vector<int64_t> ids;

    HttpResponse list(std::string_view query, std::string_view base = "/api/auth/users/") const {
        return c->get(std::string(base) + "?" + std::string(query), agent.tokens.access);
    }
};

void make_tagged_users(ApiClient& c, const std::string& root_token, TaggedUsers& u) {
    u.c = &c;
    u.tag = "flt" + std::to_string(::getpid() % 100000);
    for (int i = 0; i < 3; ++i) u.active.push_back(c.active_client(u.tag, root_token));
    for (int i = 0; i < 2; ++i) u.pending.push_back(c.pending_client(u.tag));
    u.agent = c.agent(u.tag, root_token);
    for (auto& a : u.active) u.ids.push_back(a.id);
    for (auto& a : u.pending) u.ids.push_back(a.id);
    u.ids.push_back(u.agent.id);
    for (int64_t id : u.ids) ASSERT_GT(id, 0);
    std::sort(u.ids.begin(), u.ids.end());
    ASSERT_EQ(c.patch("/api/auth/profile/", "{\"first_name\": \"Zebulon" + u.tag + "\"}",
                      u.active[1].tokens.access)
                  .status,
              200);
}

std::vector<int64_t> id_list(const HttpResponse& r) {
    std::vector<int64_t> out;
    for (size_t i = 0; i < json_array_size(r.body, ""); ++i)
        out.push_back(json_int(r.body, "/" + std::to_string(i) + "/id"));
    return out;
}

// search (username, first name, email; case-insensitive), role and is_active filters.
void expect_search_and_filters(const TaggedUsers& u) {
    HttpResponse r = u.list("search=" + u.tag);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(r.header("X-Total-Count"), "6");
    EXPECT_EQ(id_list(r), u.ids) << "ordered by id";
    EXPECT_EQ(json_keys(r.body.substr(1, r.body.find('}'))), kListItemKeys)
        << "the first item's fields";
    EXPECT_EQ(id_list(u.list("search=" + std::string("FLT") + u.tag.substr(3))), u.ids)
        << "case-insensitive";
    EXPECT_EQ(id_list(u.list("search=zebulon" + u.tag)), std::vector<int64_t>{u.active[1].id})
        << "first name";
    EXPECT_EQ(id_list(u.list("search=" + u.pending[0].username + "%40EXAMPLE")),
              std::vector<int64_t>{u.pending[0].id})
        << "email";

    r = u.list("role=AGENT&search=" + u.tag);
    EXPECT_EQ(id_list(r), std::vector<int64_t>{u.agent.id});
    EXPECT_EQ(r.header("X-Total-Count"), "1");
    EXPECT_EQ(json_array_size(u.list("role=CLIENT&search=" + u.tag).body, ""), 5u);
    r = u.list("role=SUPER_USER");
    EXPECT_EQ(json_array_size(r.body, ""), 2u) << r.body;
    EXPECT_EQ(json_string(r.body, "/0/role_display"), "Super User");
    EXPECT_EQ(json_array_size(u.list("role=&search=" + u.tag).body, ""), 6u)
        << "an empty filter is ignored";

    for (auto v : {"true", "True", "1"}) {
        r = u.list(std::string("is_active=") + v + "&search=" + u.tag);
        EXPECT_EQ(r.header("X-Total-Count"), "4") << v;
    }
    for (auto v : {"false", "False", "0"}) {
        r = u.list(std::string("is_active=") + v + "&search=" + u.tag);
        EXPECT_EQ(id_list(r), (std::vector<int64_t>{u.pending[0].id, u.pending[1].id})) << v;
    }
}

// LimitOffsetPagination with X-Total-Count.
void expect_pagination(const TaggedUsers& u) {
    HttpResponse r = u.list("limit=2&search=" + u.tag);
    EXPECT_EQ(id_list(r), (std::vector<int64_t>{u.ids[0], u.ids[1]}));
    EXPECT_EQ(r.header("X-Total-Count"), "6");
    EXPECT_EQ(id_list(u.list("limit=2&offset=2&search=" + u.tag)),
              (std::vector<int64_t>{u.ids[2], u.ids[3]}));
    EXPECT_EQ(id_list(u.list("offset=5&search=" + u.tag)), std::vector<int64_t>{u.ids[5]});
    r = u.list("offset=100&search=" + u.tag);
    EXPECT_EQ(json_array_size(r.body, ""), 0u);
    EXPECT_EQ(r.body, "[]");
    EXPECT_EQ(r.header("X-Total-Count"), "6");
    // LimitOffsetPagination: a bad or non-positive limit is the default, a huge one the
    // maximum; a bad or negative offset is 0.
    for (auto q :
         {"limit=abc", "limit=0", "limit=-3", "limit=100000", "limit=99999999999999999999999",
          "offset=-1", "offset=abc", "offset=", "limit=2x"}) {
        r = u.list(std::string(q) + "&search=" + u.tag);
        EXPECT_EQ(r.status, 200) << q;
        EXPECT_EQ(id_list(r), u.ids) << q;
    }
}

// Unknown filter values are a 400 naming the field.
void expect_bad_filters(const TaggedUsers& u) {
    HttpResponse r = u.list("role=BOSS");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "role"),
              "Select a valid choice. BOSS is not one of the available choices.")
        << r.body;
    r = u.list("role=client");
    EXPECT_EQ(field_error(r, "role"),
              "Select a valid choice. client is not one of the available choices.");
    r = u.list("is_active=maybe");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json_has(r.body, "is_active")) << r.body;
}

// Pending: is_active=false forced, other filters and pagination apply.
void expect_pending_list(const TaggedUsers& u) {
    const char* pending_path = "/api/auth/users/pending/";
    HttpResponse r = u.list("search=" + u.tag, pending_path);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(id_list(r), (std::vector<int64_t>{u.pending[0].id, u.pending[1].id}));
    EXPECT_EQ(r.header("X-Total-Count"), "2");
    EXPECT_FALSE(json_bool(r.body, "/0/is_active"));
    EXPECT_EQ(id_list(u.list("is_active=true&search=" + u.tag, pending_path)),
              (std::vector<int64_t>{u.pending[0].id, u.pending[1].id}));
    r = u.list("limit=1&offset=1&search=" + u.tag, pending_path);
    EXPECT_EQ(id_list(r), std::vector<int64_t>{u.pending[1].id});
    EXPECT_EQ(r.header("X-Total-Count"), "2");
    EXPECT_EQ(u.list("role=BOSS", pending_path).status, 400);
    EXPECT_EQ(json_array_size(u.list("role=AGENT&search=" + u.tag, pending_path).body, ""), 0u);
}

TEST_F(ApiV2, UserListFiltersAndPagination) {
    ApiClient c = api();
    TaggedUsers u;
    ASSERT_NO_FATAL_FAILURE(make_tagged_users(c, root_token(), u));
    ASSERT_NO_FATAL_FAILURE(expect_search_and_filters(u));
    expect_pagination(u);
    expect_bad_filters(u);
    ASSERT_NO_FATAL_FAILURE(expect_pending_list(u));
}

TEST_F(ApiV2, UserListDefaultLimitIs100) {
    ApiClient c = api();
    const std::string tag = "bulk" + std::to_string(::getpid() % 100000);
    for (int i = 0; i < 101; ++i) ASSERT_GT(c.pending_client(tag).id, 0);
    HttpResponse r = c.get("/api/auth/users/?search=" + tag, root_token());
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json_array_size(r.body, ""), 100u);
    EXPECT_EQ(r.header("X-Total-Count"), "101");
    r = c.get("/api/auth/users/pending/?limit=5000&search=" + tag, root_token());
    EXPECT_EQ(json_array_size(r.body, ""), 101u);
    r = c.get("/api/auth/users/", root_token());
    EXPECT_EQ(json_array_size(r.body, ""), 100u);
    EXPECT_GT(std::stoll(r.header("X-Total-Count")), 101);
}

TEST_F(ApiV2, UserDetail) {
    ApiClient c = api();
    Account agent = c.agent("det_agent", root_token());
    Account u = c.active_client("det_u", root_token());
    Account p = c.pending_client("det_p");
    ASSERT_GT(u.id, 0);
    ASSERT_GT(p.id, 0);

    HttpResponse r = c.get(user_path(u.id), agent.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_keys(r.body), detail_keys());
    EXPECT_EQ(json_int(r.body, "id"), u.id);
    EXPECT_EQ(json_string(r.body, "username"), u.username);
    EXPECT_TRUE(json_bool(r.body, "is_active"));
    EXPECT_EQ(json_string(r.body, "last_login").back(), 'Z') << "set by the login";
    r = c.get(user_path(p.id), agent.tokens.access);
    EXPECT_FALSE(json_bool(r.body, "is_active"));
    EXPECT_TRUE(json_is_null(r.body, "last_login"));
    r = c.get(user_path(root2_->id), agent.tokens.access);
    EXPECT_EQ(json_string(r.body, "role"), "SUPER_USER");
    std::string no_slash = user_path(u.id);
    no_slash.pop_back();
    EXPECT_EQ(c.get(no_slash, agent.tokens.access).status, 200);

    for (std::string bad : {"/api/auth/users/abc/", "/api/auth/users/0/", "/api/auth/users/-1/",
                            "/api/auth/users/99999999/", "/api/auth/users/99999999999999999999999/",
                            "/api/auth/users/1.5/", "/api/auth/users/%31/"}) {
        r = c.get(bad, agent.tokens.access);
        EXPECT_EQ(r.status, 404) << bad;
        EXPECT_EQ(json_string(r.body, "detail"), "Not found.") << bad;
    }
    r = c.post(user_path(u.id), "{}", agent.tokens.access);
    EXPECT_EQ(r.status, 405);
    EXPECT_TRUE(r.has_header("Allow"));
}

// ---------------------------------------------------------------------------------------------
// Bad requests across the surface

TEST_F(ApiV2, OversizedBodiesAre413) {
    Account u = api().active_client("big", root_token());
    ASSERT_GT(u.id, 0);
    const size_t ten_mb = 10 * 1024 * 1024;
    struct Case {
        const char* method;
        std::string path;
        std::string token;
    };
    for (const Case& k : {Case{"POST", "/api/auth/register/", ""},
                          Case{"PATCH", "/api/auth/profile/", u.tokens.access},
                          Case{"POST", user_path(u.id, "validate"), root_token()}}) {
        RawConnection conn(server_->port());
        ASSERT_TRUE(conn.connected());
        std::string head =
            std::string(k.method) + " " + k.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            "Content-Type: application/json\r\nContent-Length: " + std::to_string(ten_mb) + "\r\n";
        if (!k.token.empty()) head += "Authorization: Bearer " + k.token + "\r\n";
        ASSERT_TRUE(conn.send(head + "\r\n{\"first_name\": \""));
        // The server may stop reading at the limit: send a little past it, not all 10 MB.
        std::string chunk(16 * 1024, 'a');
        for (int i = 0; i < 8; ++i) {
            if (!conn.send(chunk)) break;
        }
        auto r = conn.read_response();
        ASSERT_TRUE(r) << conn.error();
        EXPECT_EQ(r->status, 413) << k.path;
    }
    EXPECT_TRUE(api().token_valid(u.tokens.access));
}

TEST_F(ApiV2, WrongMethodsAndTypes) {
    ApiClient c = api();
    Account u = c.active_client("wm", root_token());
    ASSERT_GT(u.id, 0);
    HttpResponse r = c.get("/api/auth/register/");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(json_string(r.body, "detail"), "Method \"GET\" not allowed.");
    r = c.call("PUT", "/api/auth/profile/", "{}", u.tokens.access);
    EXPECT_EQ(r.status, 405);
    EXPECT_NE(r.header("Allow").find("PATCH"), std::string::npos) << r.header("Allow");
    EXPECT_EQ(c.get("/api/auth/logout/", u.tokens.access).status, 405);
    EXPECT_EQ(c.get("/api/auth/agents/create/", root_token()).status, 405);
    EXPECT_EQ(c.get("/api/auth/users/1/validate/", root_token()).status, 405);
    EXPECT_EQ(c.get("/api/auth/nothing-here/").status, 404);

    // Non-object JSON on every body-taking endpoint.
    for (auto body : {"[1, 2]", "\"text\"", "42", "null", "{\"a\": }"}) {
        expect_json_parse_error(c.post("/api/auth/register/", body),
                                std::string("register ") + body);
        expect_json_parse_error(c.post("/api/auth/logout/", body, u.tokens.access),
                                std::string("logout ") + body);
        expect_json_parse_error(c.post("/api/auth/password/reset/", body, u.tokens.access),
                                std::string("password ") + body);
        expect_json_parse_error(c.patch("/api/auth/profile/", body, u.tokens.access),
                                std::string("profile ") + body);
        expect_json_parse_error(c.post("/api/auth/agents/create/", body, root_token()),
                                std::string("agents ") + body);
        expect_json_parse_error(c.post(user_path(u.id, "validate"), body, root_token()),
                                std::string("validate ") + body);
    }
    EXPECT_TRUE(c.token_valid(u.tokens.access)) << "nothing above logged out or changed a password";
    // Wrong JSON types in otherwise good bodies.
    r = c.patch("/api/auth/profile/", "{\"address\": true, \"first_name\": {\"a\": 1}}",
                u.tokens.access);
    EXPECT_EQ(field_error(r, "address"), "Not a valid string.");
    EXPECT_EQ(field_error(r, "first_name"), "Not a valid string.");
    r = c.post("/api/auth/register/", "{\"username\": [\"a\"], \"email\": 3}");
    EXPECT_EQ(field_error(r, "username"), "Not a valid string.");
    EXPECT_EQ(field_error(r, "email"), "Not a valid string.");
    r = c.post("/api/auth/register/", std::string("{\"username\": \"u\", \"role\": 1}"));
    EXPECT_TRUE(json_has(r.body, "role")) << r.body;
}

}  // namespace
}  // namespace authd::test::api_v2
