// authd behind a real nginx auth_request: allowed requests reach the upstream with the
// identity, denials (401, 403 by a role rule) never do, a POST body passes through, and a
// logout is refused by the very next request.
#include <string>

#include "tests/integration/nginx_proxy.hpp"
#include "tests/integration/service_auth_support.hpp"

namespace authd::test {
namespace {

class NginxForward : public ServiceAuthSuite {
  protected:
    static void SetUpTestSuite() {
        ServiceAuthSuite::SetUpTestSuite();
        if (!setup_error_.empty()) return;
        nginx_ = new NginxProxy();
        auto started = nginx_->start(server_->port());
        if (!started) setup_error_ = started.message();
    }
    static void TearDownTestSuite() {
        delete nginx_;
        nginx_ = nullptr;
        ServiceAuthSuite::TearDownTestSuite();
    }
    void TearDown() override {
        if (HasFailure() && nginx_) std::cerr << "nginx error.log:\n" << nginx_->log();
    }

    HttpResponse via_nginx(std::string_view method, std::string_view path,
                           std::string_view token = {}, std::string_view body = {},
                           std::vector<std::pair<std::string, std::string>> headers = {}) const {
        if (!token.empty()) headers.push_back({"Authorization", "Bearer " + std::string(token)});
        if (!body.empty()) headers.push_back({"Content-Type", "text/plain"});
        return request(nginx_->port(), method, path, body, headers);
    }
    static std::string echo(const Account& a, std::string_view role, std::string_view method) {
        return "user_id=" + std::to_string(a.id) + " username=" + a.username +
               " role=" + std::string(role) + " method=" + std::string(method);
    }

    static inline NginxProxy* nginx_ = nullptr;
};

TEST_F(NginxForward, AllowedRequestReachesTheUpstreamWithTheIdentity) {
    Account client = api().active_client("ngx_ok", root_token());
    HttpResponse r = via_nginx("GET", "/orders/17?x=1", client.tokens.access);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find(echo(client, "CLIENT", "GET") + " uri=/orders/17?x=1"), std::string::npos)
        << r.body;
    // Identity headers a client sends itself are replaced by authd's answer.
    HttpResponse spoof = via_nginx("GET", "/", client.tokens.access, {},
                                   {{"X-User-Id", "1"}, {"X-Role", "SUPER_USER"}});
    EXPECT_NE(spoof.body.find(echo(client, "CLIENT", "GET")), std::string::npos) << spoof.body;
}

TEST_F(NginxForward, DeniedRequestsNeverReachTheUpstream) {
    Account client = api().active_client("ngx_deny", root_token());
    HttpResponse none = via_nginx("GET", "/orders");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer realm=\"api\"");
    EXPECT_EQ(none.body.find("user_id="), std::string::npos) << none.body;
    HttpResponse bad = via_nginx("GET", "/orders", client.tokens.refresh);
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(bad.header("WWW-Authenticate"), "Bearer realm=\"api\", error=\"invalid_token\"");
    HttpResponse admin = via_nginx("GET", "/admin/users", client.tokens.access);
    EXPECT_EQ(admin.status, 403);
    EXPECT_EQ(admin.body.find("user_id="), std::string::npos) << admin.body;
    Account agent = api().agent("ngx_agent", root_token());
    HttpResponse allowed = via_nginx("GET", "/admin/users", agent.tokens.access);
    EXPECT_EQ(allowed.status, 200) << allowed.body;
    EXPECT_NE(allowed.body.find(echo(agent, "AGENT", "GET")), std::string::npos) << allowed.body;
}

TEST_F(NginxForward, PostBodyPassesThrough) {
    Account client = api().active_client("ngx_post", root_token());
    std::string body(3000, 'x');  // more than one small buffer
    HttpResponse r = via_nginx("POST", "/orders", client.tokens.access, body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find(echo(client, "CLIENT", "POST") + " uri=/orders length=3000"),
              std::string::npos)
        << r.body;
    HttpResponse put = via_nginx("PUT", "/orders/1", client.tokens.access, "{}");
    EXPECT_NE(put.body.find("method=PUT"), std::string::npos) << put.body;
    EXPECT_EQ(via_nginx("POST", "/orders", {}, body).status, 401);
}

int64_t accepted_connections(int port) {
    HttpResponse m = request(port, "GET", "/metrics");
    const std::string_view needle = "\nauthd_connections_accepted_total ";
    size_t at = m.body.find(needle);
    return at == std::string::npos ? -1 : std::stoll(m.body.substr(at + needle.size()));
}

// nginx keeps its keep-alive connection to authd only when the answer has no body.
TEST_F(NginxForward, AuthSubrequestsReuseTheirConnection) {
    Account client = api().active_client("ngx_keepalive", root_token());
    int64_t before = accepted_connections(port());
    ASSERT_GE(before, 0);
    for (int i = 0; i < 40; ++i) {
        ASSERT_EQ(via_nginx("GET", "/k", client.tokens.access).status, 200);
        ASSERT_EQ(via_nginx("GET", "/k", "bad-token").status, 401);
    }
    int64_t opened = accepted_connections(port()) - before;
    EXPECT_LT(opened, 10) << "nginx opened a connection to authd for most of 80 subrequests";
}

TEST_F(NginxForward, LogoutTakesEffectOnTheNextRequest) {
    ApiClient c = api();
    Account client = c.active_client("ngx_logout", root_token());
    ASSERT_EQ(via_nginx("GET", "/", client.tokens.access).status, 200);
    ASSERT_EQ(c.post("/api/auth/logout/", "{}", client.tokens.access).status, 200);
    EXPECT_EQ(via_nginx("GET", "/", client.tokens.access).status, 401);
}

}  // namespace
}  // namespace authd::test
