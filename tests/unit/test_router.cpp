// Router: static and parameterised patterns, trailing-slash equivalence, Django converters,
// the 404/405 distinction and the Allow header text, and the application's real route table.
#include <gtest/gtest.h>

#include <string>

#include "auth/routes.hpp"
#include "http/router.hpp"

namespace authd::http {
namespace {

void h_get(Request&, Response& r) {
    r.body = "get";
}
void h_post(Request&, Response& r) {
    r.body = "post";
}
void h_patch(Request&, Response& r) {
    r.body = "patch";
}
void h_other(Request&, Response& r) {
    r.body = "other";
}
core::Task<Response> h_async(Request&) {
    co_return detail_response(200, "async");
}

std::string run(const RouteMatch& m) {
    if (!m.handler.sync) return "<none>";
    Request req;
    Response res;
    m.handler.sync(req, res);
    return res.body;
}

Router app_like_router() {
    Router r;
    EXPECT_TRUE(r.add(Method::get, "/healthz", h_get));
    EXPECT_TRUE(r.add(Method::post, "/auth/token/", h_post));
    EXPECT_TRUE(r.add(Method::get, "/api/auth/profile/", h_get));
    EXPECT_TRUE(r.add(Method::patch, "/api/auth/profile/", h_patch));
    EXPECT_TRUE(r.add(Method::get, "/api/auth/users/", h_get));
    EXPECT_TRUE(r.add(Method::get, "/api/auth/users/pending/", h_other));
    EXPECT_TRUE(r.add(Method::get, "/api/auth/users/<int:id>/", h_get));
    EXPECT_TRUE(r.add(Method::post, "/api/auth/users/<int:id>/validate/", h_post));
    EXPECT_TRUE(r.add(Method::del, "/api/auth/users/<int:id>/reject/", h_other));
    EXPECT_TRUE(
        r.add(Method::get, "/auth/password_reset_confirm/<str:uidb64>/<str:token>/", h_get));
    EXPECT_TRUE(
        r.add(Method::post, "/auth/password_reset_confirm/<str:uidb64>/<str:token>/", h_post));
    EXPECT_TRUE(r.add(Method::post, "/api/auth/logout/", h_async));
    return r;
}

TEST(Router, StaticPathsWithAndWithoutTrailingSlash) {
    Router r = app_like_router();
    for (const char* p : {"/auth/token/", "/auth/token"}) {
        RouteMatch m = r.match(Method::post, p);
        ASSERT_NE(m.route, nullptr) << p;
        EXPECT_EQ(m.route->pattern, "/auth/token/");
        EXPECT_EQ(run(m), "post");
        EXPECT_EQ(m.param_count, 0u);
    }
    for (const char* p : {"/healthz", "/healthz/"}) {
        RouteMatch m = r.match(Method::get, p);
        ASSERT_NE(m.route, nullptr) << p;
        EXPECT_EQ(run(m), "get");
    }
}

TEST(Router, UnknownPathsDoNotMatch) {
    Router r = app_like_router();
    for (const char* p :
         {"/", "", "/auth", "/auth/", "/auth/token/x/", "/auth//token/", "/auth/token//",
          "//auth/token/", "/AUTH/TOKEN/", "/auth/tokens/", "auth/token/", "/api/auth/users/7/x/",
          "/api/auth/users/7/validate/extra", "/healthzz"}) {
        EXPECT_EQ(r.match(Method::get, p).route, nullptr) << p;
        EXPECT_EQ(r.match(Method::post, p).route, nullptr) << p;
    }
}

TEST(Router, IntParamsCaptureDigitsOnly) {
    Router r = app_like_router();
    for (const char* p : {"/api/auth/users/42/", "/api/auth/users/42"}) {
        RouteMatch m = r.match(Method::get, p);
        ASSERT_NE(m.route, nullptr) << p;
        EXPECT_EQ(m.route->pattern, "/api/auth/users/<int:id>/");
        ASSERT_EQ(m.param_count, 1u);
        EXPECT_EQ(m.params[0], "42");
    }
    RouteMatch v = r.match(Method::post, "/api/auth/users/007/validate/");
    ASSERT_NE(v.route, nullptr);
    EXPECT_EQ(v.params[0], "007");
    EXPECT_EQ(run(v), "post");
    // Django's <int:> is [0-9]+: no sign, no letters, not empty → 404.
    for (const char* p :
         {"/api/auth/users/abc/", "/api/auth/users/-1/", "/api/auth/users/+1/",
          "/api/auth/users/4a/", "/api/auth/users/1.5/", "/api/auth/users//",
          "/api/auth/users/%31/", "/api/auth/users/ 1/", "/api/auth/users/abc/validate/"}) {
        EXPECT_EQ(r.match(Method::get, p).route, nullptr) << p;
        EXPECT_EQ(r.match(Method::post, p).route, nullptr) << p;
    }
}

TEST(Router, StaticPathsWinOverPatterns) {
    Router r = app_like_router();
    RouteMatch m = r.match(Method::get, "/api/auth/users/pending/");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->pattern, "/api/auth/users/pending/");
    EXPECT_EQ(run(m), "other");

    Router s;
    ASSERT_TRUE(s.add(Method::get, "/x/<str:name>/", h_get));
    ASSERT_TRUE(s.add(Method::get, "/x/special/", h_other));
    EXPECT_EQ(run(s.match(Method::get, "/x/special")), "other");
    EXPECT_EQ(run(s.match(Method::get, "/x/common/")), "get");
}

TEST(Router, StrParamsCaptureInPatternOrder) {
    Router r = app_like_router();
    RouteMatch m = r.match(Method::post, "/auth/password_reset_confirm/MTI/c2x7-0a1b2c3d4e5f/");
    ASSERT_NE(m.route, nullptr);
    ASSERT_EQ(m.param_count, 2u);
    EXPECT_EQ(m.params[0], "MTI");
    EXPECT_EQ(m.params[1], "c2x7-0a1b2c3d4e5f");
    EXPECT_EQ(run(m), "post");
    EXPECT_EQ(run(r.match(Method::get, "/auth/password_reset_confirm/MTI/tok")), "get");
    // <str:> is [^/]+: never empty, never spans a slash.
    EXPECT_EQ(r.match(Method::get, "/auth/password_reset_confirm/MTI//").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/auth/password_reset_confirm//tok/").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/auth/password_reset_confirm/MTI/").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/auth/password_reset_confirm/a/b/c/").route, nullptr);
}

TEST(Router, ParamsAreCopiedIntoTheRequest) {
    Router r = app_like_router();
    std::string path = "/auth/password_reset_confirm/uid/token/";
    RouteMatch m = r.match(Method::get, path);
    Request req;
    req.set_params(m.params, m.param_count);
    EXPECT_EQ(req.param_count(), 2u);
    EXPECT_EQ(req.param(0), "uid");
    EXPECT_EQ(req.param(1), "token");
    volatile size_t far = 99;  // a run-time index: out of range gives an empty view
    EXPECT_EQ(req.param(2), "");
    EXPECT_EQ(req.param(far), "");
}

TEST(Router, WrongMethodGives405InfoWithAllowHeader) {
    Router r = app_like_router();
    RouteMatch m = r.match(Method::get, "/auth/token/");
    ASSERT_NE(m.route, nullptr);                      // known path …
    EXPECT_FALSE(m.handler.sync || m.handler.async);  // … wrong method → 405
    EXPECT_EQ(m.route->allow_header, "POST, OPTIONS");

    RouteMatch p = r.match(Method::put, "/api/auth/profile");
    ASSERT_NE(p.route, nullptr);
    EXPECT_FALSE(p.handler.sync || p.handler.async);
    EXPECT_EQ(p.route->allow_header, "GET, HEAD, PATCH, OPTIONS");

    RouteMatch d = r.match(Method::get, "/api/auth/users/5/reject/");
    ASSERT_NE(d.route, nullptr);
    EXPECT_EQ(d.route->allow_header, "DELETE, OPTIONS");
    EXPECT_EQ(run(r.match(Method::del, "/api/auth/users/5/reject")), "other");

    RouteMatch other = r.match(Method::other, "/auth/token/");
    ASSERT_NE(other.route, nullptr);
    EXPECT_FALSE(other.handler.sync || other.handler.async);
}

TEST(Router, HeadAndOptionsFields) {
    Router r = app_like_router();
    // HEAD has no handler of its own: the connection serves it with the GET handler.
    RouteMatch head = r.match(Method::head, "/api/auth/profile/");
    ASSERT_NE(head.route, nullptr);
    EXPECT_FALSE(head.handler.sync || head.handler.async);
    EXPECT_NE(head.route->by_method[static_cast<size_t>(Method::get)].sync, nullptr);
    // HEAD on a POST-only path has nothing to fall back to.
    RouteMatch head_post = r.match(Method::head, "/auth/token/");
    ASSERT_NE(head_post.route, nullptr);
    EXPECT_EQ(head_post.route->by_method[static_cast<size_t>(Method::get)].sync, nullptr);
    // OPTIONS is answered by the connection for every known path, and always allowed.
    RouteMatch opt = r.match(Method::options, "/api/auth/users/9/validate/");
    ASSERT_NE(opt.route, nullptr);
    EXPECT_FALSE(opt.handler.sync || opt.handler.async);
    EXPECT_EQ(opt.route->allow_header, "POST, OPTIONS");
    EXPECT_EQ(r.match(Method::options, "/nope/").route, nullptr);
}

TEST(Router, OneEntryPerPatternAcrossMethods) {
    Router r = app_like_router();
    RouteMatch g = r.match(Method::get, "/auth/password_reset_confirm/a/b/");
    RouteMatch p = r.match(Method::post, "/auth/password_reset_confirm/a/b/");
    ASSERT_NE(g.route, nullptr);
    EXPECT_EQ(g.route, p.route);
    EXPECT_EQ(g.route->allow_header, "GET, HEAD, POST, OPTIONS");
    EXPECT_EQ(r.route_count(), 10u);
    for (size_t i = 0; i < r.route_count(); ++i) EXPECT_EQ(r.route(i).id, i);
}

TEST(Router, AsyncHandlersAreReturned) {
    Router r = app_like_router();
    RouteMatch m = r.match(Method::post, "/api/auth/logout");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.handler.sync, nullptr);
    ASSERT_NE(m.handler.async, nullptr);
    Request req;
    core::Task<Response> t = m.handler.async(req);
    Response out;
    t.start([&] { out = std::move(t.result()); });
    EXPECT_EQ(out.body, "{\"detail\":\"async\"}");
}

TEST(Router, RootPath) {
    Router r;
    ASSERT_TRUE(r.add(Method::get, "/", h_get));
    EXPECT_EQ(run(r.match(Method::get, "/")), "get");
    EXPECT_EQ(r.match(Method::get, "").route, nullptr);
}

TEST(Router, MalformedPatternsAreRefused) {
    Router r;
    EXPECT_FALSE(r.add(Method::get, "", h_get));
    EXPECT_FALSE(r.add(Method::get, "no/leading/slash/", h_get));
    EXPECT_FALSE(r.add(Method::get, "/a//b/", h_get));
    EXPECT_FALSE(r.add(Method::get, "/a/<int:id/", h_get));
    EXPECT_FALSE(r.add(Method::get, "/a/<uuid:id>/", h_get));
    EXPECT_FALSE(r.add(Method::get, "/a/x<int:id>/", h_get));
    // More parameters than a Request can hold could never match: refuse at registration.
    EXPECT_FALSE(r.add(Method::get, "/<str:a>/<str:b>/<str:c>/<str:d>/<str:e>/", h_get));
    EXPECT_EQ(r.route_count(), 0u);
    EXPECT_TRUE(r.add(Method::get, "/<str:a>/<str:b>/<str:c>/<str:d>/", h_get));
    RouteMatch m = r.match(Method::get, "/1/2/3/4");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.param_count, 4u);
    EXPECT_EQ(m.params[3], "4");
}

// The application's own table: every documented path resolves, with and without the slash.
TEST(Router, ApplicationRoutes) {
    Router r;
    auth::register_routes(r);
    struct Case {
        Method method;
        const char* path;
        size_t params;
    } cases[] = {
        {Method::post, "/auth/signup/", 0},
        {Method::post, "/auth/token/", 0},
        {Method::post, "/auth/token/refresh/", 0},
        {Method::get, "/auth/verify-email/MQ/abc-def/", 2},
        {Method::post, "/auth/reset_password/", 0},
        {Method::get, "/auth/password_reset_confirm/MQ/abc-def/", 2},
        {Method::post, "/auth/password_reset_confirm/MQ/abc-def/", 2},
        {Method::post, "/auth/validate_token/", 0},
        {Method::post, "/api/auth/register/", 0},
        {Method::post, "/api/auth/login/", 0},
        {Method::post, "/api/auth/token/refresh/", 0},
        {Method::post, "/api/auth/logout/", 0},
        {Method::post, "/api/auth/password/reset/", 0},
        {Method::get, "/api/auth/profile/", 0},
        {Method::patch, "/api/auth/profile/", 0},
        {Method::get, "/api/auth/users/", 0},
        {Method::get, "/api/auth/users/pending/", 0},
        {Method::get, "/api/auth/users/12/", 1},
        {Method::post, "/api/auth/users/12/validate/", 1},
        {Method::del, "/api/auth/users/12/reject/", 1},
        {Method::post, "/api/auth/agents/create/", 0},
        {Method::post, "/api/auth/users/validate-token/", 0},
    };
    for (const auto& c : cases) {
        std::string with = c.path;
        std::string without = with.substr(0, with.size() - 1);
        for (const std::string& p : {with, without}) {
            RouteMatch m = r.match(c.method, p);
            ASSERT_NE(m.route, nullptr) << p;
            EXPECT_TRUE(m.handler.sync || m.handler.async) << method_name(c.method) << " " << p;
            EXPECT_EQ(m.param_count, c.params) << p;
        }
    }
    EXPECT_EQ(r.match(Method::get, "/api/auth/users/pending/").param_count, 0u);
    EXPECT_EQ(r.match(Method::get, "/api/auth/users/me/").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/auth/validate_token/").route->allow_header, "POST, OPTIONS");
}

}  // namespace
}  // namespace authd::http
