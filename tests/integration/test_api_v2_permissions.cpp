// Integration tests of the /api/auth/ permission matrix (401 vs 403 exactly, cell by cell) and
// of what validate / deactivate / reject do to the target's account and tokens.
#include <string>
#include <vector>

#include "tests/integration/api_v2_support.hpp"

namespace authd::test::api_v2 {
namespace {

// ---------------------------------------------------------------------------------------------
// The permission matrix

TEST_F(ApiV2, ReadEndpointsNeedAnAgent) {
    ApiClient c = api();
    Account client = c.active_client("read_client", root_token());
    Account agent = c.agent("read_agent", root_token());
    ASSERT_GT(client.id, 0);
    ASSERT_GT(agent.id, 0);
    const std::vector<std::string> paths = {"/api/auth/users/",    "/api/auth/users/pending/",
                                            user_path(client.id),  user_path(agent.id),
                                            user_path(root2_->id), user_path(root_->id)};
    for (const auto& p : paths) {
        expect_missing_credentials(c.get(p), "anonymous " + p);
        expect_bad_token(c.get(p, "garbage"), "garbage " + p);
        expect_forbidden(c.get(p, client.tokens.access), "client " + p);
        EXPECT_EQ(c.get(p, agent.tokens.access).status, 200) << "agent " << p;
        EXPECT_EQ(c.get(p, root_token()).status, 200) << "superuser " << p;
    }
    // 401 and 403 come before 404.
    expect_missing_credentials(c.get(user_path(99999999)), "anonymous, missing user");
    expect_forbidden(c.get(user_path(99999999), client.tokens.access), "client, missing user");
    EXPECT_EQ(c.get(user_path(99999999), agent.tokens.access).status, 404);
}

enum Actor { anonymous, a_client, an_agent, superuser };
enum TargetKind { t_client, t_agent, t_superuser, t_self };

// The status of a validate / deactivate call by actor `a` on a target of kind `t`.
int validate_status(Actor a, TargetKind t) {
    if (a == anonymous) return 401;
    if (a == a_client || t == t_superuser || t == t_self) return 403;
    if (a == an_agent) return t == t_client ? 200 : 403;
    return 200;
}

// Who may validate / deactivate whom: AGENT → CLIENT only; SUPER_USER → anyone but a
// superuser; nobody → a superuser or themself; CLIENT → nobody; anonymous → 401.
TEST_F(ApiV2, ValidateAndDeactivateMatrix) {
    ApiClient c = api();
    Account client = c.active_client("vm_client", root_token());
    Account agent = c.agent("vm_agent", root_token());
    ASSERT_GT(client.id, 0);
    ASSERT_GT(agent.id, 0);
    auto token_of = [&](Actor a) -> std::string {
        switch (a) {
            case anonymous:
                return "";
            case a_client:
                return client.tokens.access;
            case an_agent:
                return agent.tokens.access;
            case superuser:
                return root_token();
        }
        return "";
    };
    auto self_of = [&](Actor a) -> int64_t {
        return a == an_agent ? agent.id : a == superuser ? root_->id : client.id;
    };
    for (bool activate : {true, false}) {
        for (Actor a : {anonymous, a_client, an_agent, superuser}) {
            for (TargetKind t : {t_client, t_agent, t_superuser, t_self}) {
                int64_t target = 0;
                Account fresh;
                if (t == t_client) fresh = c.pending_client("vm_t");
                if (t == t_agent) fresh = c.agent("vm_ta", root_token());
                if (t == t_client || t == t_agent) {
                    ASSERT_GT(fresh.id, 0);
                    target = fresh.id;
                } else {
                    target = t == t_superuser ? root2_->id : self_of(a);
                }
                std::string what = std::string(activate ? "validate" : "deactivate") + " actor " +
                                   std::to_string(a) + " target " + std::to_string(t);
                HttpResponse r = c.post(user_path(target, "validate"),
                                        activate ? "{}" : "{\"is_active\": false}", token_of(a));
                int want = validate_status(a, t);
                EXPECT_EQ(r.status, want) << what << ": " << r.body;
                if (want == 401) expect_missing_credentials(r, what);
                if (want == 403) expect_forbidden(r, what);
                if (want == 200) {
                    EXPECT_EQ(json_bool(r.body, "/user/is_active"), activate) << what;
                    if (!fresh.tokens.access.empty()) {
                        EXPECT_EQ(c.token_valid(fresh.tokens.access), activate) << what;
                    }
                }
            }
        }
    }
    // The actors themselves were never touched.
    EXPECT_TRUE(c.token_valid(client.tokens.access));
    EXPECT_TRUE(c.token_valid(agent.tokens.access));
    EXPECT_TRUE(c.token_valid(root_token()));
    EXPECT_TRUE(c.token_valid(root2_->tokens.access));
    // 401 / 403 before 404.
    expect_missing_credentials(c.post(user_path(99999999, "validate"), "{}"), "anonymous, missing");
    expect_bad_token(c.post(user_path(99999999, "validate"), "{}", "garbage"), "garbage, missing");
    expect_forbidden(c.post(user_path(99999999, "validate"), "{}", client.tokens.access),
                     "client, missing");
    EXPECT_EQ(c.post(user_path(99999999, "validate"), "{}", agent.tokens.access).status, 404);
}

TEST_F(ApiV2, RejectMatrix) {
    ApiClient c = api();
    Account client = c.active_client("rm_client", root_token());
    Account agent = c.agent("rm_agent", root_token());
    Account other_agent = c.agent("rm_agent2", root_token());
    ASSERT_GT(client.id, 0);
    ASSERT_GT(agent.id, 0);
    ASSERT_GT(other_agent.id, 0);

    // A pending client: anyone agent-ish may reject it.
    Account p = c.pending_client("rm_p");
    expect_missing_credentials(c.del(user_path(p.id, "reject")), "anonymous → pending client");
    expect_bad_token(c.del(user_path(p.id, "reject"), "garbage"), "garbage → pending client");
    expect_forbidden(c.del(user_path(p.id, "reject"), client.tokens.access),
                     "client → pending client");
    EXPECT_EQ(c.del(user_path(p.id, "reject"), agent.tokens.access).status, 204);
    Account p2 = c.pending_client("rm_p");
    EXPECT_EQ(c.del(user_path(p2.id, "reject"), root_token()).status, 204);

    // Another agent: only a superuser, and only once it is inactive (409 before that).
    expect_missing_credentials(c.del(user_path(other_agent.id, "reject")), "anonymous → agent");
    expect_forbidden(c.del(user_path(other_agent.id, "reject"), client.tokens.access),
                     "client → agent");
    expect_forbidden(c.del(user_path(other_agent.id, "reject"), agent.tokens.access),
                     "agent → agent");
    HttpResponse r = c.del(user_path(other_agent.id, "reject"), root_token());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Only pending users can be rejected.");
    ASSERT_EQ(c.post(user_path(other_agent.id, "validate"), "{\"is_active\": false}", root_token())
                  .status,
              200);
    expect_forbidden(c.del(user_path(other_agent.id, "reject"), agent.tokens.access),
                     "agent → inactive agent");
    EXPECT_EQ(c.del(user_path(other_agent.id, "reject"), root_token()).status, 204);

    // Superusers and oneself: nobody.
    for (const Account* actor : {&client, &agent, root_}) {
        expect_forbidden(c.del(user_path(root2_->id, "reject"), actor->tokens.access),
                         actor->username + " → superuser");
        expect_forbidden(c.del(user_path(actor->id, "reject"), actor->tokens.access),
                         actor->username + " → self");
    }
    expect_missing_credentials(c.del(user_path(root2_->id, "reject")), "anonymous → superuser");
    // An agent on an active client: permitted, but the client is not pending.
    r = c.del(user_path(client.id, "reject"), agent.tokens.access);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_TRUE(c.token_valid(client.tokens.access)) << "a refused rejection changes nothing";
    // 401 / 403 before 404.
    expect_missing_credentials(c.del(user_path(99999999, "reject")), "anonymous, missing");
    expect_forbidden(c.del(user_path(99999999, "reject"), client.tokens.access), "client, missing");
    EXPECT_EQ(c.del(user_path(99999999, "reject"), agent.tokens.access).status, 404);
}

// ---------------------------------------------------------------------------------------------
// validate / deactivate effects

// Bad validate bodies are refused and change nothing; a 500-character reason is allowed.
void expect_validate_bad_inputs(ApiClient& c, const Account& p, const Account& agent) {
    const std::string path = user_path(p.id, "validate");
    HttpResponse r = c.post(path, "{\"is_active\": \"maybe\"}", agent.tokens.access);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field_error(r, "is_active"), "Must be a valid boolean.") << r.body;
    r = c.post(path, "{\"is_active\": [true]}", agent.tokens.access);
    EXPECT_EQ(field_error(r, "is_active"), "Must be a valid boolean.") << r.body;
    r = c.post(path, "{\"is_active\": null}", agent.tokens.access);
    EXPECT_EQ(field_error(r, "is_active"), "This field may not be null.") << r.body;
    r = c.post(path, "{\"reason\": " + json_quote(std::string(501, 'r')) + "}",
               agent.tokens.access);
    EXPECT_EQ(field_error(r, "reason"), "Ensure this field has no more than 500 characters.")
        << r.body;
    r = c.post(path, "{\"reason\": 5, \"is_active\": false}", agent.tokens.access);
    EXPECT_EQ(field_error(r, "reason"), "Not a valid string.") << r.body;
    EXPECT_TRUE(c.token_valid(p.tokens.access)) << "a refused deactivation changes nothing";
    expect_json_parse_error(c.post(path, "[false]", agent.tokens.access), "array body");
    EXPECT_EQ(c.call("POST", path, "x", agent.tokens.access, "text/plain").status, 415);
    r = c.post(path, "{\"reason\": " + json_quote(std::string(500, 'r')) + "}",
               agent.tokens.access);
    EXPECT_EQ(r.status, 200) << "500 characters are allowed";
    EXPECT_EQ(c.post(user_path(99999999, "validate"), "{}", agent.tokens.access).status, 404);
    EXPECT_EQ(c.get(path, agent.tokens.access).status, 405);
}

TEST_F(ApiV2, ValidationActivatesAndDeactivationRevokes) {
    ApiClient c = api();
    Account agent = c.agent("va_agent", root_token());
    ASSERT_GT(agent.id, 0);
    Account p = c.pending_client("va_p");
    ASSERT_GT(p.id, 0);
    EXPECT_FALSE(c.login(p));

    HttpResponse r = c.post(user_path(p.id, "validate"), "{\"reason\": \"Validation manuelle\"}",
                            agent.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(json_string(r.body, "detail"), "User validated.");
    EXPECT_EQ(json_int(r.body, "/user/id"), p.id);
    EXPECT_TRUE(json_bool(r.body, "/user/is_active"));
    EXPECT_FALSE(json_bool(r.body, "/user/email_verified"));
    EXPECT_TRUE(json_is_null(r.body, "/user/last_login"));
    EXPECT_EQ(json_string(r.body, "/user/role"), "CLIENT");
    ASSERT_TRUE(c.login(p)) << c.last_failure().body;
    auto second = c.login(p.username, p.password);
    ASSERT_TRUE(second);

    r = c.post(user_path(p.id, "validate"),
               "{\"is_active\": false, \"reason\": \"fraud suspected\"}", agent.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "User deactivated.");
    EXPECT_FALSE(json_bool(r.body, "/user/is_active"));
    for (const auto& t : {p.tokens, *second}) {
        EXPECT_FALSE(c.token_valid(t.access));
        expect_bad_token(c.get("/api/auth/profile/", t.access), "profile after deactivation");
        EXPECT_EQ(c.post("/api/auth/token/refresh/", "{\"refresh\": " + json_quote(t.refresh) + "}")
                      .status,
                  401);
    }
    EXPECT_FALSE(c.login(p));
    EXPECT_EQ(json_string(c.last_failure().body, "code"), "account_inactive");
    r = c.get("/api/auth/users/pending/?search=" + p.username, agent.tokens.access);
    EXPECT_EQ(json_array_size(r.body, ""), 1u) << r.body;

    // Validated again (form body): can log in; the old tokens stay dead.
    auto old = p.tokens;
    r = c.call("POST", user_path(p.id, "validate"), "is_active=true&reason=appeal",
               agent.tokens.access, "application/x-www-form-urlencoded");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(json_bool(r.body, "/user/is_active"));
    ASSERT_TRUE(c.login(p));
    EXPECT_FALSE(c.token_valid(old.access));
    // Validating an active user again is harmless and revokes nothing.
    EXPECT_EQ(c.post(user_path(p.id, "validate"), "", agent.tokens.access).status, 200);
    EXPECT_TRUE(c.token_valid(p.tokens.access));

    // The audit trail is in the log as one structured line per action.
    std::string log = server_->log();
    EXPECT_NE(log.find("\"action\":\"validate\""), std::string::npos);
    EXPECT_NE(log.find("\"reason\":\"Validation manuelle\""), std::string::npos);
    EXPECT_NE(log.find("\"action\":\"deactivate\""), std::string::npos);
    EXPECT_NE(log.find("\"reason\":\"fraud suspected\""), std::string::npos);
    EXPECT_NE(log.find("\"target_id\":\"" + std::to_string(p.id) + "\""), std::string::npos);

    ASSERT_NO_FATAL_FAILURE(expect_validate_bad_inputs(c, p, agent));
}

// ---------------------------------------------------------------------------------------------
// reject effects

TEST_F(ApiV2, RejectionDeletesThePendingUser) {
    ApiClient c = api();
    Account agent = c.agent("rj_agent", root_token());
    ASSERT_GT(agent.id, 0);
    Account p = c.pending_client("rj_p");
    ASSERT_GT(p.id, 0);

    HttpResponse r = c.call("DELETE", user_path(p.id, "reject"), "{\"reason\": \"spam signup\"}",
                            agent.tokens.access);
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_TRUE(r.body.empty());
    EXPECT_FALSE(r.has_header("Content-Length"));
    r = c.get(user_path(p.id), agent.tokens.access);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(json_string(r.body, "detail"), "Not found.");
    EXPECT_EQ(c.del(user_path(p.id, "reject"), agent.tokens.access).status, 404);
    EXPECT_EQ(c.post(user_path(p.id, "validate"), "{}", agent.tokens.access).status, 404);
    EXPECT_FALSE(c.login(p));
    EXPECT_EQ(json_string(c.last_failure().body, "code"), "invalid_credentials");
    r = c.get("/api/auth/users/?search=" + p.username, agent.tokens.access);
    EXPECT_EQ(json_array_size(r.body, ""), 0u) << r.body;
    EXPECT_NE(server_->log().find("\"reason\":\"spam signup\""), std::string::npos);
    // The name is free again; the new account gets a new id.
    int64_t old_id = p.id;
    ASSERT_EQ(c.register_account(p).status, 201);
    EXPECT_GT(p.id, old_id);

    // An active user with tokens: 409 first; deactivated, then rejected, their tokens stay
    // dead, also after the same username is registered and validated again.
    Account u = c.active_client("rj_u", root_token());
    ASSERT_GT(u.id, 0);
    r = c.del(user_path(u.id, "reject"), agent.tokens.access);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(json_string(r.body, "detail"), "Only pending users can be rejected.");
    EXPECT_TRUE(c.token_valid(u.tokens.access));
    ASSERT_EQ(
        c.post(user_path(u.id, "validate"), "{\"is_active\": false}", agent.tokens.access).status,
        200);
    ASSERT_EQ(c.del(user_path(u.id, "reject"), agent.tokens.access).status, 204);
    EXPECT_FALSE(c.token_valid(u.tokens.access));
    expect_bad_token(c.get("/api/auth/profile/", u.tokens.access), "profile of a rejected user");
    Account again = u;
    ASSERT_EQ(c.register_account(again).status, 201);
    ASSERT_EQ(c.post(user_path(again.id, "validate"), "{}", agent.tokens.access).status, 200);
    ASSERT_TRUE(c.login(again));
    EXPECT_FALSE(c.token_valid(u.tokens.access));
    EXPECT_EQ(c.profile_status(u.tokens.access), 401);
    EXPECT_TRUE(c.token_valid(again.tokens.access));

    EXPECT_EQ(c.get(user_path(again.id, "reject"), agent.tokens.access).status, 405);
    EXPECT_EQ(c.post(user_path(again.id, "reject"), "{}", agent.tokens.access).status, 405);
    r = c.call("DELETE", user_path(again.id, "reject"), "{\"reason\": 1}", agent.tokens.access);
    EXPECT_EQ(field_error(r, "reason"), "Not a valid string.") << r.body;
}

}  // namespace
}  // namespace authd::test::api_v2
