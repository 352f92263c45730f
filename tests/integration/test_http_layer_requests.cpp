// Integration tests of request handling on the real binary: routing (404, 405 + Allow, slashes,
// query strings), the validate endpoint's body parsing (JSON, form, media types) and CORS.
#include <string>

#include "tests/integration/http_layer_support.hpp"

namespace authd::test::http_layer {
namespace {

// ---------------------------------------------------------------------------------------------
// Routing and error shapes (§1)

TEST_F(HttpLayer, UnknownPathIs404) {
    ASSERT_TRUE(server_.start());
    for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/nope"}, {"GET", "/auth/"}, {"POST", "/auth/nope/"}, {"GET", "/healthzz"}}) {
        SCOPED_TRACE(method + " " + path);
        auto r = request(server_.port(), method, path, method == "POST" ? "{}" : "");
        EXPECT_EQ(r.status, 404) << r.reason;
        EXPECT_EQ(json_string(r.body, "detail"), "Not found.") << r.body;
        expect_standard_headers(r, "404");
    }
}

TEST_F(HttpLayer, WrongMethodIs405WithAllowHeader) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "DELETE", kValidate);
    EXPECT_EQ(r.status, 405) << r.reason;
    EXPECT_EQ(json_string(r.body, "detail"), "Method \"DELETE\" not allowed.") << r.body;
    EXPECT_NE(r.header("Allow").find("POST"), std::string::npos) << "Allow: " << r.header("Allow");
    expect_standard_headers(r, "405");

    r = request(server_.port(), "GET", kValidate);
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(json_string(r.body, "detail"), "Method \"GET\" not allowed.") << r.body;

    r = request(server_.port(), "POST", "/healthz", "{}");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(json_string(r.body, "detail"), "Method \"POST\" not allowed.") << r.body;
    EXPECT_NE(r.header("Allow").find("GET"), std::string::npos) << "Allow: " << r.header("Allow");
}

TEST_F(HttpLayer, PathsWithAndWithoutTrailingSlashAreServed) {
    ASSERT_TRUE(server_.start());
    EXPECT_EQ(request(server_.port(), "GET", "/healthz").status, 200);
    EXPECT_EQ(request(server_.port(), "GET", "/healthz/").status, 200);
    EXPECT_EQ(request(server_.port(), "POST", "/auth/validate_token/", kGarbageBody).status, 401);
    EXPECT_EQ(request(server_.port(), "POST", "/auth/validate_token", kGarbageBody).status, 401);
    EXPECT_EQ(
        request(server_.port(), "POST", "/api/auth/users/validate-token", kGarbageBody).status,
        401);
}

TEST_F(HttpLayer, QueryStringDoesNotAffectRouting) {
    ASSERT_TRUE(server_.start());
    EXPECT_EQ(request(server_.port(), "GET", "/healthz?x=1").status, 200);
}

// ---------------------------------------------------------------------------------------------
// Bodies and media types (§1), on /auth/validate_token/

TEST_F(HttpLayer, ValidateGarbageTokenIs401) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, kGarbageBody);
    ASSERT_EQ(r.status, 401) << r.reason << r.body;
    ASSERT_TRUE(json_has(r.body, "valid")) << r.body;
    EXPECT_FALSE(json_bool(r.body, "valid"));
    EXPECT_FALSE(json_string(r.body, "detail").empty()) << r.body;
    EXPECT_TRUE(lower(r.header("Content-Type")).starts_with("application/json"));
    expect_standard_headers(r, "401");
}

TEST_F(HttpLayer, ValidateWithoutTokenIs400FieldRequired) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, "{}");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_keys(r.body), std::vector<std::string>{"token"}) << r.body;
    EXPECT_EQ(json_array_size(r.body, "token"), 1u) << r.body;
    EXPECT_EQ(json_string(r.body, "/token/0"), "This field is required.") << r.body;
}

TEST_F(HttpLayer, NonStringTokenIs400NotAValidString) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, R"({"token": 5})");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_string(r.body, "/token/0"), "Not a valid string.") << r.body;
}

TEST_F(HttpLayer, JsonWithCharsetParameterIsAccepted) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, kGarbageBody,
                     {{"Content-Type", "application/json; charset=utf-8"}});
    EXPECT_EQ(r.status, 401) << r.body;
}

TEST_F(HttpLayer, OtherContentTypeIs415) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "POST", kValidate, "token=garbage",
                     {{"Content-Type", "text/plain"}});
    ASSERT_EQ(r.status, 415) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Unsupported media type \"text/plain\" in request.")
        << r.body;
    expect_standard_headers(r, "415");
}

TEST_F(HttpLayer, MalformedJsonIs400ParseError) {
    ASSERT_TRUE(server_.start());
    for (std::string body : {R"({"token": )", R"({"token": "garbage")", "not json at all"}) {
        SCOPED_TRACE(body);
        auto r = request(server_.port(), "POST", kValidate, body);
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_TRUE(json_string(r.body, "detail").starts_with("JSON parse error - ")) << r.body;
        expect_standard_headers(r, "400 json");
    }
}

TEST_F(HttpLayer, JsonThatIsNotAnObjectIs400ParseError) {
    ASSERT_TRUE(server_.start());
    for (std::string body : {R"(["garbage"])", R"("garbage")", "42", "null"}) {
        SCOPED_TRACE(body);
        auto r = request(server_.port(), "POST", kValidate, body);
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_TRUE(json_string(r.body, "detail").starts_with("JSON parse error - ")) << r.body;
    }
}

TEST_F(HttpLayer, FormUrlencodedBodyIsAccepted) {
    ASSERT_TRUE(server_.start());
    const std::vector<std::pair<std::string, std::string>> form = {
        {"Content-Type", "application/x-www-form-urlencoded"}};
    auto r = request(server_.port(), "POST", kValidate, "token=garbage", form);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_FALSE(json_bool(r.body, "valid"));
    r = request(server_.port(), "POST", kValidate, "token=gar%62age+x", form);  // decoded
    EXPECT_EQ(r.status, 401) << r.body;
    r = request(server_.port(), "POST", kValidate, "other=1", form);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json_string(r.body, "/token/0"), "This field is required.") << r.body;
}

// ---------------------------------------------------------------------------------------------
// CORS (§1)

bool has_any_cors_header(const HttpResponse& r) {
    for (auto& [name, value] : r.headers) {
        if (lower(name).starts_with("access-control-")) return true;
    }
    return false;
}

TEST_F(HttpLayer, CorsAllowedOriginGetsItsExactOrigin) {
    ASSERT_TRUE(server_.start(
        {{"AUTHD_CORS_ORIGINS", std::string(kAllowedOrigin) + ",https://other.example.com"}}));
    for (std::string origin :
         {std::string(kAllowedOrigin), std::string("https://other.example.com")}) {
        SCOPED_TRACE(origin);
        auto r = request(server_.port(), "GET", "/healthz", "", {{"Origin", origin}});
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("Access-Control-Allow-Origin"), origin);
        EXPECT_NE(lower(r.header("Vary")).find("origin"), std::string::npos)
            << "Vary: " << r.header("Vary");
    }
    // Error answers carry it too, or the browser hides them from the page.
    auto r = request(server_.port(), "POST", kValidate, kGarbageBody, {{"Origin", kAllowedOrigin}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kAllowedOrigin);
}

TEST_F(HttpLayer, CorsPreflightIs204WithAllowHeaders) {
    ASSERT_TRUE(server_.start({{"AUTHD_CORS_ORIGINS", kAllowedOrigin}}));
    auto r = request(server_.port(), "OPTIONS", kValidate, "",
                     {{"Origin", kAllowedOrigin},
                      {"Access-Control-Request-Method", "POST"},
                      {"Access-Control-Request-Headers", "content-type, authorization"}});
    ASSERT_EQ(r.status, 204) << r.reason << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kAllowedOrigin);
    EXPECT_NE(r.header("Access-Control-Allow-Methods").find("POST"), std::string::npos)
        << r.header("Access-Control-Allow-Methods");
    std::string allowed = lower(r.header("Access-Control-Allow-Headers"));
    EXPECT_NE(allowed.find("content-type"), std::string::npos) << allowed;
    EXPECT_NE(allowed.find("authorization"), std::string::npos) << allowed;
    EXPECT_GT(std::atoi(r.header("Access-Control-Max-Age").c_str()), 0)
        << r.header("Access-Control-Max-Age");
    expect_standard_headers(r, "preflight 204");
}

TEST_F(HttpLayer, CorsOtherOriginGetsNoCorsHeaders) {
    ASSERT_TRUE(server_.start({{"AUTHD_CORS_ORIGINS", kAllowedOrigin}}));
    auto r =
        request(server_.port(), "GET", "/healthz", "", {{"Origin", "https://evil.example.com"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(has_any_cors_header(r));
    r = request(
        server_.port(), "OPTIONS", kValidate, "",
        {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_LT(r.status, 500);
    EXPECT_FALSE(has_any_cors_header(r));
    // A prefix of an allowed origin is another origin.
    r = request(server_.port(), "GET", "/healthz", "", {{"Origin", "https://app.example.co"}});
    EXPECT_FALSE(has_any_cors_header(r));
}

TEST_F(HttpLayer, NoCorsHeadersWithoutConfiguredOrigins) {
    ASSERT_TRUE(server_.start());
    auto r = request(server_.port(), "GET", "/healthz", "", {{"Origin", kAllowedOrigin}});
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(has_any_cors_header(r));
}

}  // namespace
}  // namespace authd::test::http_layer
