// Integration tests of hostile and malformed input on the /auth/ surface: login throttling,
// missing and mistyped fields, oversized bodies, unicode and control characters, mail header
// injection, forged and misused tokens, bad links, and races on signup and refresh.
#include <sys/socket.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/auth_v1_support.hpp"

namespace authd::test::v1 {
namespace {

class AuthV1Input : public AuthV1Fixture {};

// Runs fn(i) for i in [0, n) on n threads released together; returns the results in order.
template <typename Fn>
std::vector<HttpResponse> concurrently(int n, Fn fn) {
    std::vector<HttpResponse> results(static_cast<size_t>(n));
    std::latch go(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            go.arrive_and_wait();
            results[static_cast<size_t>(i)] = fn(i);
        });
    }
    for (auto& t : threads) t.join();
    return results;
}

int count_status(const std::vector<HttpResponse>& rs, int status) {
    int n = 0;
    for (auto& r : rs) n += r.status == status ? 1 : 0;
    return n;
}

void expect_invalid_token(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_TRUE(json_has(r.body, "valid")) << r.body;
    EXPECT_FALSE(json_bool(r.body, "valid")) << r.body;
    EXPECT_FALSE(json_string(r.body, "detail").empty()) << r.body;
    EXPECT_FALSE(json_has(r.body, "user_id")) << r.body;
}

// Sends a POST whose body is `body_size` bytes of the JSON `prefix` + 'a'... + `suffix`, on a
// second thread, while this thread reads the answer (the server may answer before the end).
HttpResponse post_huge(int port, std::string_view path, std::string_view prefix, size_t body_size,
                       std::string_view suffix) {
    RawConnection conn(port, 10s);
    if (!conn.connected()) return {};
    std::string head = "POST " + std::string(path) +
                       " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nContent-Length: " +
                       std::to_string(body_size) + "\r\n\r\n";
    if (!conn.send(head)) return {};
    int fd = conn.fd();
    std::thread sender([fd, prefix = std::string(prefix), suffix = std::string(suffix), body_size] {
        std::string chunk(64 * 1024, 'a');
        size_t sent = 0;
        auto send_all = [&](std::string_view bytes) {
            while (!bytes.empty()) {
                ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
                if (n <= 0) return false;
                bytes.remove_prefix(static_cast<size_t>(n));
                sent += static_cast<size_t>(n);
            }
            return true;
        };
        if (!send_all(prefix)) return;
        while (sent + suffix.size() < body_size) {
            size_t n = std::min(chunk.size(), body_size - suffix.size() - sent);
            if (!send_all(std::string_view(chunk).substr(0, n))) return;
        }
        send_all(suffix);
    });
    auto r = conn.read_response();
    ::shutdown(fd, SHUT_RDWR);  // unblocks the sender if the server stopped reading
    sender.join();
    HttpResponse failed;
    failed.reason = conn.error();
    return r ? *r : failed;
}

// ---------------------------------------------------------------------------------------------
// 4. Throttling

TEST_F(AuthV1Input, LoginThrottlingAfterMaxFailures) {
    ASSERT_TRUE(start({{"AUTHD_LOGIN_MAX_FAILURES", "3"}}));
    User ivan = active_user("ivan", "ivan@example.com");
    User judy = active_user("judy", "judy@example.com");
    ASSERT_GT(ivan.id, 0);
    ASSERT_GT(judy.id, 0);
    for (int i = 0; i < 3; ++i) {
        expect_detail(login("ivan", "Wrong-Password-" + std::to_string(i)), 401,
                      kInvalidCredentials, "invalid_credentials");
    }
    for (std::string_view password :
         {std::string_view(kPassword), std::string_view("Wrong-Password-9")}) {
        HttpResponse r = login("ivan", password);
        expect_detail(r, 429, "Too many failed login attempts. Try again later.", "throttled");
        std::string retry = r.header("Retry-After");
        ASSERT_TRUE(all_digits(retry)) << "Retry-After: '" << retry << "'";
        EXPECT_GE(std::stoll(retry), 1);
        EXPECT_LE(std::stoll(retry), 15 * 60) << "the window is 15 minutes";
    }
    // The same username in another case, and the /api/auth/ login, share the counter.
    EXPECT_EQ(login("IVAN", kPassword).status, 429);
    EXPECT_EQ(
        post_json("/api/auth/login/", json_object({{"username", "ivan"}, {"password", kPassword}}))
            .status,
        429);
    // Other users are not affected.
    EXPECT_EQ(login("judy", kPassword).status, 200);
    // Unknown usernames are throttled the same way (no account enumeration through 429).
    for (int i = 0; i < 3; ++i) EXPECT_EQ(login("ghost", "Wrong-Password-1").status, 401);
    EXPECT_EQ(login("ghost", "Wrong-Password-1").status, 429);
}

// ---------------------------------------------------------------------------------------------
// 5. Bad input

TEST_F(AuthV1Input, MissingAndMistypedFields) {
    ASSERT_TRUE(start());
    HttpResponse r = post_json("/auth/signup/", "{}");
    EXPECT_EQ(r.status, 400);
    for (const char* f : {"username", "email", "password"})
        EXPECT_TRUE(has_field_error(r, f, kRequired)) << f << r.body;
    r = post_json("/auth/token/", "{}");
    EXPECT_EQ(r.status, 400);
    for (const char* f : {"username", "password"})
        EXPECT_TRUE(has_field_error(r, f, kRequired)) << f << r.body;
    r = post_json("/auth/token/refresh/", "{}");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(has_field_error(r, "refresh", kRequired)) << r.body;
    r = post_json("/auth/validate_token/", "{}");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(has_field_error(r, "token", kRequired)) << r.body;
    r = post_form("/auth/token/", "username=someone");  // form bodies follow the same rules
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(has_field_error(r, "password", kRequired)) << r.body;

    r = post_json("/auth/signup/",
                  R"({"username": 123, "email": ["a@example.com"], "password": {"p": "x"}})");
    EXPECT_EQ(r.status, 400);
    for (const char* f : {"username", "email", "password"})
        EXPECT_TRUE(has_field_error(r, f, kNotAString)) << f << r.body;
    r = post_json("/auth/token/", R"({"username": true, "password": 12345678})");
    EXPECT_EQ(r.status, 400);
    for (const char* f : {"username", "password"})
        EXPECT_TRUE(has_field_error(r, f, kNotAString)) << f << r.body;
    r = post_json("/auth/token/refresh/", R"({"refresh": 5})");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(has_field_error(r, "refresh", kNotAString)) << r.body;
    r = post_json("/auth/validate_token/", R"({"token": ["a.b.c"]})");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(has_field_error(r, "token", kNotAString)) << r.body;
    r = post_json("/auth/reset_password/", R"({"email": 1})");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(has_field_error(r, "email", kNotAString)) << r.body;

    // Not JSON objects, and other media types.
    for (std::string_view body : {"[]", "\"text\"", "{", "{\"username\": \"a\",}", "nul"}) {
        r = post_json("/auth/token/", body);
        EXPECT_EQ(r.status, 400) << body;
        EXPECT_TRUE(json_string(r.body, "detail").starts_with("JSON parse error - "))
            << body << " → " << r.body;
    }
    r = request(server_.port(), "POST", "/auth/token/", "username=a&password=b",
                {{"Content-Type", "text/plain"}});
    EXPECT_EQ(r.status, 415) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), "Unsupported media type \"text/plain\" in request.")
        << r.body;
}

TEST_F(AuthV1Input, TenMegabytePasswordIs413) {
    ASSERT_TRUE(start());
    constexpr size_t ten_mb = 10 * 1024 * 1024;
    HttpResponse r = post_huge(server_.port(), "/auth/token/", R"({"username": "x", "password": ")",
                               ten_mb, "\"}");
    EXPECT_EQ(r.status, 413) << r.reason << r.body;
    r = post_huge(server_.port(), "/auth/signup/",
                  R"({"username": "big", "email": "big@example.com", "password": ")", ten_mb,
                  "\"}");
    EXPECT_EQ(r.status, 413) << r.reason << r.body;
    // Within the body limit but over the password limit: a field error, not a crash or a hash.
    std::string long_pw(5000, 'x');
    r = signup("big", "big@example.com", long_pw);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_GE(json_array_size(r.body, "/password"), 1u) << r.body;
    r = login("big", long_pw);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(request(server_.port(), "GET", "/healthz").status, 200);
}

TEST_F(AuthV1Input, UnicodeUsernamesAndControlCharacters) {
    ASSERT_TRUE(start());
    const std::string zoe = "Zo\xC3\xAB";  // Zoë
    HttpResponse r = signup(zoe, "zoe@example.com");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json_string(r.body, "username"), zoe);
    std::string mail = wait_mail_to("zoe@example.com");
    ASSERT_FALSE(mail.empty());
    EXPECT_TRUE(contains(mail_text(mail), zoe)) << "the greeting names the user in UTF-8:\n"
                                                << mail_text(mail);
    ASSERT_EQ(get(path_of(link_in(mail, "/auth/verify-email/"))).status, 200);
    auto pair = tokens(zoe, kPassword);
    ASSERT_TRUE(pair);
    HttpResponse v = validate(pair->access);
    EXPECT_EQ(v.status, 200);
    EXPECT_EQ(json_string(v.body, "username"), zoe) << v.body;
    // Unique case-insensitively, also beyond ASCII.
    r = signup("ZO\xC3\x8B", "zoe2@example.com");  // ZOË
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(has_field_error(r, "username", "A user with that username already exists."))
        << r.body;
    EXPECT_EQ(signup("\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E", "wang@example.com").status, 201)
        << "CJK letters";

    // Control characters, spaces, and invalid UTF-8 in a username are field errors.
    for (std::string bad :
         {std::string("bad\x01name"), std::string("line\nbreak"), std::string("tab\tname"),
          std::string("crlf\r\nX-Evil: 1"), std::string("del\x7f"), std::string("sp ace"),
          std::string("nul\\u0000name"), std::string("bad\xC3(utf8")}) {
        std::string body =
            bad.find("\\u0000") != std::string::npos
                ? R"({"username": "nul\u0000name", "email": "ctl@example.com", "password": ")" +
                      std::string(kPassword) + "\"}"
                : json_object(
                      {{"username", bad}, {"email", "ctl@example.com"}, {"password", kPassword}});
        HttpResponse b = post_json("/auth/signup/", body);
        EXPECT_EQ(b.status, 400) << json_quote(bad) << " → " << b.body;
        if (b.status == 400 && json_has(b.body, "username")) continue;
        if (b.status == 400) {
            EXPECT_TRUE(contains(json_string(b.body, "detail"), "JSON parse error")) << b.body;
        }
    }
    // Names on the shared user base (/api/auth/register/) refuse control characters too.
    HttpResponse named =
        post_json("/api/auth/register/", json_object({{"username", "ann"},
                                                      {"email", "ann@example.com"},
                                                      {"first_name", "Ann\x07"},
                                                      {"last_name", "Lee\r\nBcc: x@evil.example"},
                                                      {"password", kPassword},
                                                      {"confirm_password", kPassword}}));
    EXPECT_EQ(named.status, 400) << named.body;
    EXPECT_TRUE(json_has(named.body, "first_name")) << named.body;
    EXPECT_TRUE(json_has(named.body, "last_name")) << named.body;
}

TEST_F(AuthV1Input, CrlfInEmailsIsRejectedAndSendsNoMail) {
    ASSERT_TRUE(start());
    User kim = active_user("kim", "kim@example.com");
    ASSERT_GT(kim.id, 0);
    size_t mails_before = sink_.messages().size();
    const std::vector<std::string> evil = {
        "kim@example.com\r\nBcc: victim@evil.example",
        "kim@example.com\nBcc: victim@evil.example",
        "kim@example.com\rBcc: victim@evil.example",
        "kim@example.com\r\n\r\nInjected body",
        "mallory@example.com\r\nBcc: victim@evil.example",
        "victim@evil.example%0d%0aBcc: x@evil.example",
        "kim@example.com, victim@evil.example",
    };
    for (const auto& e : evil) {
        HttpResponse s = signup("mallory", e);
        EXPECT_EQ(s.status, 400) << json_quote(e) << " → " << s.body;
        EXPECT_TRUE(json_has(s.body, "email")) << s.body;
        HttpResponse rr = request_reset(e);
        EXPECT_EQ(rr.status, 400) << json_quote(e) << " → " << rr.body;
        HttpResponse rf = post_form("/auth/reset_password/", form({{"email", e}}));
        EXPECT_EQ(rf.status, 400) << json_quote(e) << " → " << rf.body;
    }
    // A later mail as a barrier: anything queued by the requests above would have come first.
    ASSERT_EQ(signup("barrier", "barrier@example.com").status, 201);
    ASSERT_FALSE(wait_mail_to("barrier@example.com").empty());
    auto all = sink_.messages();
    EXPECT_EQ(all.size(), mails_before + 1) << "no mail from a rejected request";
    for (auto& m : all) {
        EXPECT_FALSE(icontains(m, "victim")) << m;
        EXPECT_FALSE(icontains(m, "Injected body")) << m;
    }
    EXPECT_EQ(login("mallory", kPassword).status, 401) << "no account was created";
}

TEST_F(AuthV1Input, ForgedAndMisusedTokens) {
    ASSERT_TRUE(start());
    User lee = active_user("lee", "lee@example.com");
    ASSERT_GT(lee.id, 0);
    auto pair = tokens("lee", kPassword);
    ASSERT_TRUE(pair);
    ASSERT_TRUE(token_valid(pair->access));
    auto parts = split_jwt(pair->access);
    ASSERT_TRUE(parts);
    // Control: our encoder and HMAC reproduce the server's token byte for byte, so the crafted
    // tokens below fail for the reason each one names, not for a mistake of ours.
    ASSERT_EQ(make_jwt(parts->header, parts->payload, kSecretKey), pair->access);
    std::string input = pair->access.substr(0, pair->access.rfind('.'));
    std::string sig = parts->signature_b64;

    for (std::string_view t :
         {"", "garbage", "a.b.c", "..", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9.e30."}) {
        if (t.empty()) {
            EXPECT_EQ(validate(t).status, 400) << "blank token";
            continue;
        }
        expect_invalid_token(validate(t), "junk: " + std::string(t));
    }
    std::string flipped = sig;
    flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
    expect_invalid_token(validate(input + "." + flipped), "signature altered");
    expect_invalid_token(validate(input + "."), "signature removed");
    expect_invalid_token(validate(input + "." + sig + "AAAA"), "signature extended");

    std::string escalated = with_claim(parts->payload, "role", "\"SUPER_USER\"");
    ASSERT_NE(escalated, parts->payload);
    expect_invalid_token(
        validate(b64url_encode(parts->header) + "." + b64url_encode(escalated) + "." + sig),
        "payload altered, old signature");
    std::string other_user = with_claim(parts->payload, "user_id", "1");
    expect_invalid_token(
        validate(make_jwt(parts->header, other_user, "another-secret-key-0123456789abcdef-000000")),
        "signed with another key");
    expect_invalid_token(
        validate(make_jwt(parts->header, parts->payload, "another-secret-key-0123456789abcdef-00")),
        "unaltered claims signed with another key");
    for (std::string_view alg : {"none", "None", "NONE", "nOnE"}) {
        std::string h = "{\"alg\":\"" + std::string(alg) + "\",\"typ\":\"JWT\"}";
        expect_invalid_token(validate(make_jwt(h, parts->payload, "")), "alg " + std::string(alg));
        expect_invalid_token(
            validate(b64url_encode(h) + "." + b64url_encode(parts->payload) + "." + sig),
            "alg none with the real signature");
    }
    expect_invalid_token(
        validate(make_jwt(R"({"alg":"HS512","typ":"JWT"})", parts->payload, kSecretKey)),
        "another algorithm");
    expect_invalid_token(validate(make_jwt(R"({"typ":"JWT"})", parts->payload, kSecretKey)),
                         "no alg");
    expect_invalid_token(
        validate(make_jwt(parts->header,
                          with_claim(parts->payload, "exp", std::to_string(now_seconds() - 5)),
                          kSecretKey)),
        "expired");
    int64_t tv = json_int(parts->payload, "tv");
    expect_invalid_token(
        validate(make_jwt(parts->header, with_claim(parts->payload, "tv", std::to_string(tv + 1)),
                          kSecretKey)),
        "another token version");
    expect_invalid_token(
        validate(make_jwt(parts->header, with_claim(parts->payload, "token_type", "\"refresh\""),
                          kSecretKey)),
        "access claims typed refresh");

    // Each token type only where it belongs.
    expect_invalid_token(validate(pair->refresh), "refresh token offered to validate_token");
    HttpResponse wrong_type = refresh(pair->access);
    EXPECT_EQ(wrong_type.status, 401) << wrong_type.body;
    EXPECT_EQ(json_string(wrong_type.body, "code"), "token_not_valid") << wrong_type.body;
    EXPECT_EQ(refresh("garbage").status, 401);
    auto rparts = split_jwt(pair->refresh);
    ASSERT_TRUE(rparts);
    EXPECT_EQ(
        refresh(make_jwt(rparts->header, rparts->payload, "another-secret-key-0123456789abcdef-00"))
            .status,
        401);
    EXPECT_EQ(refresh(make_jwt(R"({"alg":"none"})", rparts->payload, "")).status, 401);
    // Nothing above disturbed the real pair.
    EXPECT_TRUE(token_valid(pair->access));
    EXPECT_EQ(refresh(pair->refresh).status, 200);
}

TEST_F(AuthV1Input, BadAndReusedLinks) {
    ASSERT_TRUE(start());
    ASSERT_EQ(signup("mia", "mia@example.com").status, 201);
    ASSERT_EQ(signup("ned", "ned@example.com").status, 201);
    std::string mia = mailed_path("mia@example.com", "/auth/verify-email/");
    std::string ned = mailed_path("ned@example.com", "/auth/verify-email/");
    ASSERT_FALSE(mia.empty());
    ASSERT_FALSE(ned.empty());
    auto segments = [](const std::string& path) {  // /auth/<kind>/<uid>/<token>/
        std::vector<std::string> out;
        size_t pos = 1;
        while (pos < path.size()) {
            size_t slash = path.find('/', pos);
            out.push_back(path.substr(pos, slash - pos));
            pos = slash + 1;
        }
        return out;
    };
    auto m = segments(mia), n = segments(ned);
    ASSERT_EQ(m.size(), 4u) << mia;
    ASSERT_EQ(n.size(), 4u) << ned;
    const std::string token = m[3];
    for (std::string uid :
         {std::string("!!!"), std::string("%00"), b64url_encode("0"), b64url_encode("-1"),
          b64url_encode("999999"), b64url_encode("99999999999999999999999"), b64url_encode("1 "),
          b64url_encode(" 1"), b64url_encode("0x1"), std::string("MQ=="), n[2],
          std::string(200, 'A')}) {
        std::string path = "/auth/verify-email/" + uid + "/" + token + "/";
        HttpResponse r = get(path);
        EXPECT_EQ(r.status, 400) << path << " → " << r.body;
        HttpResponse h = get("/auth/password_reset_confirm/" + uid + "/" + token + "/");
        EXPECT_EQ(h.status, 400) << uid << " → " << h.body;
        EXPECT_TRUE(is_html(h));
    }
    for (std::string tok : {token.substr(0, token.size() - 1), token + "x", std::string("x"), n[3],
                            std::string(300, 'z')}) {
        EXPECT_EQ(get("/auth/verify-email/" + m[2] + "/" + tok + "/").status, 400) << tok;
    }
    // A verification token is no reset token.
    EXPECT_EQ(get("/auth/password_reset_confirm/" + m[2] + "/" + token + "/").status, 400);
    EXPECT_EQ(post_json("/auth/password_reset_confirm/" + m[2] + "/" + token + "/",
                        json_object({{"new_password", "Tidal-Forest-55"},
                                     {"confirm_password", "Tidal-Forest-55"}}))
                  .status,
              400);
    // None of that spent or broke the real links.
    EXPECT_EQ(get(mia).status, 200);
    EXPECT_EQ(get(mia).status, 400) << "a used verification link";
    EXPECT_EQ(get(ned).status, 200);
    ASSERT_EQ(request_reset("mia@example.com").status, 200);
    std::string reset = mailed_path("mia@example.com", "/auth/password_reset_confirm/", 2);
    ASSERT_FALSE(reset.empty());
    auto r = segments(reset);
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(get("/auth/verify-email/" + r[2] + "/" + r[3] + "/").status, 400)
        << "a reset token verifies nothing";
    EXPECT_EQ(get("/auth/password_reset_confirm/" + n[2] + "/" + r[3] + "/").status, 400)
        << "mia's token for ned";
    std::string body =
        json_object({{"new_password", "Tidal-Forest-55"}, {"confirm_password", "Tidal-Forest-55"}});
    EXPECT_EQ(post_json(reset, body).status, 200);
    EXPECT_EQ(post_json(reset, body).status, 400) << "a used reset link";
    EXPECT_EQ(get(reset).status, 400);
}

TEST_F(AuthV1Input, ConcurrentSignupsOfOneUsername) {
    ASSERT_TRUE(start({{"AUTHD_THREADS", "4"}}));
    auto results = concurrently(20, [&](int i) {
        std::string name = i % 3 == 0   ? "RACER"
                           : i % 3 == 1 ? "racer"
                                        : "Racer";  // one name, case-insensitively
        return signup(name, "racer" + std::to_string(i) + "@example.com");
    });
    EXPECT_EQ(count_status(results, 201), 1);
    EXPECT_EQ(count_status(results, 400), 19);
    std::string winner;
    for (size_t i = 0; i < results.size(); ++i) {
        auto& r = results[i];
        if (r.status == 201) winner = "racer" + std::to_string(i) + "@example.com";
        if (r.status == 400) {
            EXPECT_TRUE(has_field_error(r, "username", "A user with that username already exists."))
                << r.body;
        }
        if (r.status != 201 && r.status != 400)
            ADD_FAILURE() << "status " << r.status << " " << r.reason << r.body;
    }
    ASSERT_FALSE(winner.empty());
    std::string path = mailed_path(winner, "/auth/verify-email/");
    ASSERT_FALSE(path.empty());
    // A later mail as a barrier before counting: one verification mail in all.
    ASSERT_EQ(signup("after", "after@example.com").status, 201);
    ASSERT_FALSE(wait_mail_to("after@example.com").empty());
    EXPECT_EQ(sink_.messages().size(), 2u);
    EXPECT_EQ(get(path).status, 200);
    EXPECT_EQ(login("racer", kPassword).status, 200);
}

TEST_F(AuthV1Input, ConcurrentRefreshesOfOneToken) {
    ASSERT_TRUE(start({{"AUTHD_THREADS", "4"}}));
    User olga = active_user("olga", "olga@example.com");
    ASSERT_GT(olga.id, 0);
    auto pair = tokens("olga", kPassword);
    ASSERT_TRUE(pair);
    auto other = tokens("olga", kPassword);  // another session, untouched by the race
    ASSERT_TRUE(other);
    auto results = concurrently(10, [&](int) { return refresh(pair->refresh); });
    EXPECT_EQ(count_status(results, 200), 1);
    EXPECT_EQ(count_status(results, 401), 9);
    for (auto& r : results) {
        if (r.status != 200 && r.status != 401)
            ADD_FAILURE() << "status " << r.status << " " << r.reason << r.body;
        if (r.status != 200) continue;
        // The losers presented a used refresh token: the session is revoked, winner included.
        EXPECT_FALSE(token_valid(json_string(r.body, "access")));
        EXPECT_EQ(refresh(json_string(r.body, "refresh")).status, 401);
    }
    EXPECT_FALSE(token_valid(pair->access));
    EXPECT_TRUE(token_valid(other->access)) << "only the raced session is revoked";
    EXPECT_EQ(refresh(other->refresh).status, 200);
}

}  // namespace
}  // namespace authd::test::v1
