// /auth/forward on the real binary with raw requests: the answers nginx, Traefik, Envoy and
// Caddy act on (identity headers, 401 with WWW-Authenticate, 403 for a role rule), every
// method and sub-path, the cookie, and a logout that takes effect at once.
#include <string>
#include <vector>

#include "tests/integration/service_auth_support.hpp"

namespace authd::test {
namespace {

constexpr const char* kInvalid = "Bearer realm=\"api\", error=\"invalid_token\"";

class ForwardAuth : public ServiceAuthSuite {};

void expect_allowed(const HttpResponse& r, const Account& a, std::string_view role) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("X-Auth-User-Id"), std::to_string(a.id));
    EXPECT_EQ(r.header("X-Auth-Username"), a.username);
    EXPECT_EQ(r.header("X-Auth-Role"), role);
    EXPECT_EQ(r.header("Remote-User"), a.username);
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(r.header("Content-Length"), "0");  // nginx keeps its connection only then
}

TEST_F(ForwardAuth, ValidAccessTokenGivesTheIdentityHeaders) {
    ApiClient c = api();
    Account client = c.active_client("fw_ok", root_token());
    ASSERT_GT(client.id, 0);
    expect_allowed(forward(client.tokens.access), client, "CLIENT");
    expect_allowed(forward(client.tokens.access, "/auth/forward/"), client, "CLIENT");
}

TEST_F(ForwardAuth, NoTokenIs401WithTheBareChallenge) {
    for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {}, {{"Authorization", "Basic dXNlcjpwYXNz"}}, {{"Cookie", "other=1"}}}) {
        HttpResponse r = send("GET", "/auth/forward", headers);
        EXPECT_EQ(r.status, 401) << r.body;
        EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"api\"");
        EXPECT_EQ(r.header("Cache-Control"), "no-store");
        EXPECT_EQ(r.header("Content-Length"), "0");
        EXPECT_FALSE(r.has_header("X-Auth-User-Id"));
    }
}

TEST_F(ForwardAuth, BadTokensAre401InvalidToken) {
    ApiClient c = api();
    Account client = c.active_client("fw_bad", root_token());
    std::string tampered = client.tokens.access;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    for (const std::string& t : {std::string("garbage"), tampered, client.tokens.refresh}) {
        HttpResponse r = forward(t);
        EXPECT_EQ(r.status, 401) << t;
        EXPECT_EQ(r.header("WWW-Authenticate"), kInvalid);
        EXPECT_FALSE(r.has_header("X-Auth-User-Id"));
    }
    HttpResponse two = send("GET", "/auth/forward", {{"Authorization", "Bearer a b"}});
    EXPECT_EQ(two.status, 401);
    EXPECT_EQ(two.header("WWW-Authenticate"), kInvalid);
}

TEST_F(ForwardAuth, LogoutTakesEffectAtOnce) {
    ApiClient c = api();
    Account client = c.active_client("fw_logout", root_token());
    ASSERT_EQ(forward(client.tokens.access).status, 200);
    ASSERT_EQ(c.post("/api/auth/logout/", "{}", client.tokens.access).status, 200);
    HttpResponse r = forward(client.tokens.access);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("WWW-Authenticate"), kInvalid);
}

TEST_F(ForwardAuth, RoleRulesFromQueryAndHeader) {
    ApiClient c = api();
    Account client = c.active_client("fw_role", root_token());
    Account agent = c.agent("fw_role_agent", root_token());
    auto bearer = [](const Account& a) {
        return std::pair<std::string, std::string>{"Authorization", "Bearer " + a.tokens.access};
    };
    EXPECT_EQ(send("GET", "/auth/forward?role=AGENT", {bearer(client)}).status, 403);
    EXPECT_EQ(send("GET", "/auth/forward?role=CLIENT", {bearer(client)}).status, 200);
    expect_allowed(send("GET", "/auth/forward?role=AGENT", {bearer(agent)}), agent, "AGENT");
    EXPECT_EQ(send("GET", "/auth/forward?role=SUPER_USER", {bearer(agent)}).status, 403);
    EXPECT_EQ(
        send("GET", "/auth/forward?x=1&role=AGENT", {{"Authorization", "Bearer " + root_token()}})
            .status,
        200);
    EXPECT_EQ(
        send("GET", "/auth/forward", {bearer(client), {"X-Auth-Require-Role", "AGENT"}}).status,
        403);
    EXPECT_EQ(
        send("GET", "/auth/forward", {bearer(agent), {"X-Auth-Require-Role", "AGENT"}}).status,
        200);
    // Every requirement must hold: a client cannot loosen the proxy's rule with its own.
    EXPECT_EQ(
        send("GET", "/auth/forward?role=CLIENT",
             {bearer(client), {"X-Auth-Require-Role", "CLIENT"}, {"X-Auth-Require-Role", "AGENT"}})
            .status,
        403);
    // An unknown role name is never met (a typo in a proxy rule fails closed).
    HttpResponse typo = send("GET", "/auth/forward?role=ADMIN", {bearer(agent)});
    EXPECT_EQ(typo.status, 403);
    EXPECT_EQ(typo.body, "");
}

// Envoy's HTTP ext_authz appends the original path to the prefix and keeps the method;
// Traefik sends GET with X-Forwarded-*; nginx sends X-Original-URI. None changes the answer.
TEST_F(ForwardAuth, EveryMethodAndSubPathAsProxiesSendThem) {
    ApiClient c = api();
    Account client = c.active_client("fw_shapes", root_token());
    std::pair<std::string, std::string> auth{"Authorization", "Bearer " + client.tokens.access};
    for (std::string m : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"}) {
        for (std::string p :
             {"/auth/forward/api/orders/17", "/auth/forward/a/b/?q=1&r=2", "/auth/forward/x"}) {
            HttpResponse r = send(m, p, {auth, {"Content-Type", "text/plain"}}, "ignored body");
            EXPECT_EQ(r.status, 200) << m << " " << p << " " << r.body;
            EXPECT_EQ(r.header("X-Auth-User-Id"), std::to_string(client.id)) << m << " " << p;
            HttpResponse none = send(m, p);
            EXPECT_EQ(none.status, 401) << m << " " << p;
        }
    }
    HttpResponse traefik = send("GET", "/auth/forward",
                                {auth,
                                 {"X-Forwarded-Method", "POST"},
                                 {"X-Forwarded-Proto", "https"},
                                 {"X-Forwarded-Host", "app.example.com"},
                                 {"X-Forwarded-Uri", "/orders?id=1"},
                                 {"X-Forwarded-For", "10.0.0.1"}});
    expect_allowed(traefik, client, "CLIENT");
    HttpResponse nginx = send("GET", "/auth/forward", {auth, {"X-Original-URI", "/x?y=1"}});
    expect_allowed(nginx, client, "CLIENT");
    HttpResponse head = send("HEAD", "/auth/forward", {auth});
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("X-Auth-User-Id"), std::to_string(client.id));
    EXPECT_EQ(send("GET", "/auth/forwarded").status, 404);
}

// A CORS preflight relayed by a proxy is decided like any request: never the API's 204.
TEST_F(ForwardAuth, PreflightIsDecidedNotAnswered204) {
    ApiClient c = api();
    Account client = c.active_client("fw_preflight", root_token());
    std::vector<std::pair<std::string, std::string>> preflight{
        {"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"}};
    EXPECT_EQ(send("OPTIONS", "/auth/forward/api/x", preflight).status, 401);
    preflight.push_back({"Authorization", "Bearer " + client.tokens.access});
    HttpResponse r = send("OPTIONS", "/auth/forward/api/x", preflight);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("X-Auth-User-Id"), std::to_string(client.id));
    // Elsewhere the API still answers preflights of allowed origins itself.
    EXPECT_EQ(send("OPTIONS", "/api/auth/login/", preflight).status, 204);
}

TEST_F(ForwardAuth, TokenFromTheConfiguredCookie) {
    ApiClient c = api();
    Account client = c.active_client("fw_cookie", root_token());
    std::string jar = "theme=dark; " + std::string(kForwardCookie) + "=" + client.tokens.access;
    expect_allowed(send("GET", "/auth/forward", {{"Cookie", jar}}), client, "CLIENT");
    // The Bearer header wins over the cookie.
    HttpResponse both =
        send("GET", "/auth/forward", {{"Cookie", jar}, {"Authorization", "Bearer not-a-token"}});
    EXPECT_EQ(both.status, 401);
    HttpResponse bad =
        send("GET", "/auth/forward", {{"Cookie", std::string(kForwardCookie) + "=nope"}});
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(bad.header("WWW-Authenticate"), kInvalid);
}

}  // namespace
}  // namespace authd::test
