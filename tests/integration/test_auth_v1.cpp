// Integration tests of the /auth/ flows (API.md §4, §7) on the real binary with a real SMTP
// receiver: signup → mailed verification link → login → validate → refresh rotation and reuse
// detection; login states; password reset through the mailed link and its HTML form.
#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/auth_v1_support.hpp"

namespace authd::test::v1 {
namespace {

class AuthV1 : public AuthV1Fixture {};

// The <form> tag of a page and one attribute of it.
std::string form_tag(const std::string& html) {
    size_t b = lower(html).find("<form");
    if (b == std::string::npos) return {};
    return html.substr(b, html.find('>', b) - b + 1);
}

std::string attribute(const std::string& tag, std::string_view name) {
    std::regex re(std::string("\\s") + std::string(name) + "\\s*=\\s*[\"']([^\"']*)[\"']",
                  std::regex::icase);
    std::smatch m;
    return std::regex_search(tag, m, re) ? m[1].str() : std::string();
}

// True when the page has an <input> named `name` of type password.
bool has_password_input(const std::string& html, std::string_view name) {
    std::regex re("<input[^>]*name\\s*=\\s*[\"']" + std::string(name) + "[\"'][^>]*>",
                  std::regex::icase);
    std::smatch m;
    if (!std::regex_search(html, m, re)) return false;
    return icontains(m[0].str(), "type=\"password\"") || icontains(m[0].str(), "type='password'");
}

// The reset form as served: HTML, the two inputs, POSTing back to the same URL.
void expect_reset_form(const HttpResponse& r, std::string_view path, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_TRUE(is_html(r)) << r.header("Content-Type");
    EXPECT_TRUE(has_password_input(r.body, "new_password")) << r.body;
    EXPECT_TRUE(has_password_input(r.body, "confirm_password")) << r.body;
    std::string tag = form_tag(r.body);
    ASSERT_FALSE(tag.empty()) << r.body;
    EXPECT_EQ(lower(attribute(tag, "method")), "post") << tag;
    std::string action = attribute(tag, "action");
    // No action, or one naming this very URL (relative or absolute) posts back to it.
    EXPECT_TRUE(action.empty() || action == path || action.ends_with(std::string(path))) << tag;
    expect_link_page_headers(r, what);
}

// ---------------------------------------------------------------------------------------------
// 1. Signup → verification mail → login → validate → refresh rotation → reuse detection

TEST_F(AuthV1, SignupVerifyLoginValidateRefreshAndReuseDetection) {
    ASSERT_TRUE(start());
    HttpResponse r = signup("alice", "Alice@Example.COM");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(is_json(r));
    int64_t id = json_int(r.body, "id");
    EXPECT_GT(id, 0);
    EXPECT_EQ(json_string(r.body, "username"), "alice");
    EXPECT_EQ(json_string(r.body, "email"), "Alice@example.com") << "domain part lower-cased";
    EXPECT_FALSE(json_has(r.body, "password")) << r.body;
    EXPECT_TRUE(contains(lower(r.header("Cache-Control")), "no-store"));

    // The verification mail: plain-text part with the full link alone on its line.
    std::string mail = wait_mail_to("Alice@example.com");
    ASSERT_FALSE(mail.empty()) << "no verification mail within the timeout";
    EXPECT_TRUE(icontains(mail_head(mail), "To:")) << mail_head(mail);
    std::string link = link_in(mail, "/auth/verify-email/");
    ASSERT_FALSE(link.empty());
    std::string path = path_of(link);
    // /auth/verify-email/<uidb64>/<token>/ with uidb64 = base64url(decimal id), no padding.
    std::smatch m;
    std::string p = path;
    ASSERT_TRUE(
        std::regex_match(p, m, std::regex("^/auth/verify-email/([A-Za-z0-9_-]+)/([^/]+)/$")))
        << path;
    EXPECT_EQ(m[1].str(), b64url_encode(std::to_string(id)));

    // Not active yet.
    expect_detail(login("alice", kPassword), 403, "User account is disabled.", "account_inactive");

    HttpResponse v = get(path);
    EXPECT_EQ(v.status, 200) << v.body;
    EXPECT_TRUE(is_json(v)) << v.header("Content-Type");
    EXPECT_EQ(json_string(v.body, "detail"), "Email verified.") << v.body;
    EXPECT_EQ(json_keys(v.body), std::vector<std::string>{"detail"}) << v.body;
    expect_link_page_headers(v, "verify JSON");
    HttpResponse again = get(path);
    EXPECT_EQ(again.status, 400) << again.body;
    EXPECT_TRUE(json_has(again.body, "detail")) << again.body;
    HttpResponse again_html = get(path, {{"Accept", kBrowserAccept}});
    EXPECT_EQ(again_html.status, 400);
    EXPECT_TRUE(is_html(again_html)) << again_html.header("Content-Type");
    EXPECT_TRUE(icontains(again_html.body, "<html")) << again_html.body;
    expect_link_page_headers(again_html, "used link, HTML");

    // Login and validate.
    HttpResponse t = login("alice", kPassword);
    ASSERT_EQ(t.status, 200) << t.body;
    EXPECT_TRUE(contains(lower(t.header("Cache-Control")), "no-store"));
    TokenPair first{json_string(t.body, "access"), json_string(t.body, "refresh")};
    ASSERT_FALSE(first.access.empty());
    ASSERT_FALSE(first.refresh.empty());
    auto parts = split_jwt(first.access);
    ASSERT_TRUE(parts);
    EXPECT_EQ(json_string(parts->header, "alg"), "HS256") << parts->header;
    EXPECT_EQ(json_string(parts->payload, "token_type"), "access") << parts->payload;
    EXPECT_EQ(json_int(parts->payload, "user_id"), id) << parts->payload;

    HttpResponse val = validate(first.access);
    ASSERT_EQ(val.status, 200) << val.body;
    EXPECT_TRUE(json_bool(val.body, "valid"));
    EXPECT_EQ(json_int(val.body, "user_id"), id);
    EXPECT_EQ(json_string(val.body, "username"), "alice");
    EXPECT_EQ(json_string(val.body, "role"), "CLIENT");
    int64_t exp = json_int(val.body, "exp");
    EXPECT_GE(exp, now_seconds() + 240) << "default access lifetime is 300 s";
    EXPECT_LE(exp, now_seconds() + 360);

    // Refresh rotates: a new pair, and both accesses validate.
    HttpResponse rf = refresh(first.refresh);
    ASSERT_EQ(rf.status, 200) << rf.body;
    TokenPair second{json_string(rf.body, "access"), json_string(rf.body, "refresh")};
    ASSERT_FALSE(second.access.empty());
    ASSERT_FALSE(second.refresh.empty());
    EXPECT_NE(second.refresh, first.refresh);
    EXPECT_NE(second.access, first.access);
    EXPECT_TRUE(token_valid(first.access)) << "an access token outlives the refresh that rotated";
    EXPECT_TRUE(token_valid(second.access));

    // Reusing the first refresh: 401, and the whole session is gone.
    HttpResponse reuse = refresh(first.refresh);
    EXPECT_EQ(reuse.status, 401) << reuse.body;
    EXPECT_EQ(json_string(reuse.body, "code"), "token_not_valid") << reuse.body;
    EXPECT_FALSE(token_valid(second.access)) << "reuse revokes the session's newer access token";
    EXPECT_FALSE(token_valid(first.access)) << "reuse revokes the session's older access token";
    HttpResponse newer = refresh(second.refresh);
    EXPECT_EQ(newer.status, 401) << "reuse revokes the newer refresh token too: " << newer.body;

    // A fresh login is a new session and works.
    auto third = tokens("alice", kPassword);
    ASSERT_TRUE(third);
    EXPECT_TRUE(token_valid(third->access));
}

TEST_F(AuthV1, VerificationLinkWithBrowserAcceptServesHtmlPages) {
    ASSERT_TRUE(start());
    ASSERT_EQ(signup("bob", "bob@example.com").status, 201);
    std::string path = mailed_path("bob@example.com", "/auth/verify-email/");
    ASSERT_FALSE(path.empty());
    HttpResponse ok = get(path, {{"Accept", kBrowserAccept}});
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_TRUE(is_html(ok)) << ok.header("Content-Type");
    EXPECT_TRUE(icontains(ok.body, "<html")) << ok.body;
    EXPECT_TRUE(icontains(ok.body, "verified")) << ok.body;
    expect_link_page_headers(ok, "verified page");
    HttpResponse used = get(path, {{"Accept", "text/html"}});
    EXPECT_EQ(used.status, 400) << used.body;
    EXPECT_TRUE(is_html(used));
    expect_link_page_headers(used, "used link page");
    // JSON clients still get JSON for the same (now used) link.
    HttpResponse used_json = get(path, {{"Accept", "application/json"}});
    EXPECT_EQ(used_json.status, 400);
    EXPECT_TRUE(is_json(used_json)) << used_json.header("Content-Type");
    EXPECT_TRUE(token_valid(tokens("bob", kPassword).value_or(TokenPair{}).access))
        << "bob is active";
}

// ---------------------------------------------------------------------------------------------
// 2. Login states and credentials

TEST_F(AuthV1, LoginErrorsAreExactAndIndistinguishable) {
    ASSERT_TRUE(start());
    ASSERT_EQ(signup("carol", "carol@example.com").status, 201);
    HttpResponse pending = login("carol", kPassword);
    expect_detail(pending, 403, "User account is disabled.", "account_inactive");
    EXPECT_EQ(json_keys(pending.body), (std::vector<std::string>{"detail", "code"}))
        << pending.body;
    // A pending user's wrong password is a plain credential failure, not a hint of existence.
    expect_detail(login("carol", "Wrong-Password-99"), 401, kInvalidCredentials,
                  "invalid_credentials");

    User dave = active_user("dave", "dave@example.com");
    ASSERT_GT(dave.id, 0);
    HttpResponse wrong = login("dave", "Wrong-Password-99");
    HttpResponse unknown = login("nobody-here", kPassword);
    expect_detail(wrong, 401, kInvalidCredentials, "invalid_credentials");
    expect_detail(unknown, 401, kInvalidCredentials, "invalid_credentials");
    EXPECT_EQ(wrong.body, unknown.body) << "unknown user and wrong password answer the same";
    EXPECT_EQ(json_keys(wrong.body), (std::vector<std::string>{"detail", "code"})) << wrong.body;
    EXPECT_EQ(login("dave", kPassword).status, 200);
    // Password check is exact (no case folding, no trimming).
    EXPECT_EQ(login("dave", lower(kPassword)).status, 401);
    EXPECT_EQ(login("dave", std::string(kPassword) + " ").status, 401);
}

TEST_F(AuthV1, RequireApprovalKeepsVerifiedUsersInactive) {
    ASSERT_TRUE(start({{"AUTHD_REQUIRE_APPROVAL", "true"}}));
    ASSERT_EQ(signup("erin", "erin@example.com").status, 201);
    std::string path = mailed_path("erin@example.com", "/auth/verify-email/");
    ASSERT_FALSE(path.empty());
    HttpResponse v = get(path);
    EXPECT_EQ(v.status, 200) << v.body;
    EXPECT_EQ(json_string(v.body, "detail"), "Email verified.");
    expect_detail(login("erin", kPassword), 403, "User account is disabled.", "account_inactive");
    // The email is verified: the link is spent even though the account stays pending.
    EXPECT_EQ(get(path).status, 400);
    // And a pending account gets no reset mail.
    EXPECT_EQ(request_reset("erin@example.com").status, 200);
    // A later mail as a barrier: had erin's reset been queued, it would have come first.
    ASSERT_EQ(signup("frank", "frank@example.com").status, 201);
    ASSERT_FALSE(wait_mail_to("frank@example.com").empty());
    EXPECT_EQ(mails_to("erin@example.com").size(), 1u) << "only the verification mail";
}

// ---------------------------------------------------------------------------------------------
// 3. Password reset by mailed link through the HTML form

TEST_F(AuthV1, PasswordResetThroughTheHtmlForm) {
    ASSERT_TRUE(start());
    User grace = active_user("grace", "grace@example.com");
    ASSERT_GT(grace.id, 0);
    auto before = tokens("grace", kPassword);
    ASSERT_TRUE(before);
    ASSERT_TRUE(token_valid(before->access));

    // The request: same answer whether the account exists or not; bad input is 400.
    HttpResponse unknown = request_reset("nobody@example.com");
    EXPECT_EQ(unknown.status, 200) << unknown.body;
    EXPECT_EQ(json_string(unknown.body, "detail"), kResetRequested);
    HttpResponse missing = post_json("/auth/reset_password/", "{}");
    EXPECT_EQ(missing.status, 400);
    EXPECT_TRUE(has_field_error(missing, "email", kRequired)) << missing.body;
    HttpResponse malformed = request_reset("not-an-email");
    EXPECT_EQ(malformed.status, 400);
    EXPECT_GE(json_array_size(malformed.body, "/email"), 1u) << malformed.body;
    HttpResponse no_domain_dot = request_reset("grace@localhost");
    EXPECT_EQ(no_domain_dot.status, 400) << no_domain_dot.body;
    HttpResponse known = request_reset("grace@EXAMPLE.com");  // the domain is case-insensitive
    EXPECT_EQ(known.status, 200);
    EXPECT_EQ(known.body, unknown.body) << "the answer must not tell whether the account exists";

    std::string path = mailed_path("grace@example.com", "/auth/password_reset_confirm/", 2);
    ASSERT_FALSE(path.empty());
    EXPECT_TRUE(mails_to("nobody@example.com").empty()) << "no mail for an unknown address";
    EXPECT_TRUE(path.starts_with("/auth/password_reset_confirm/" +
                                 b64url_encode(std::to_string(grace.id)) + "/"))
        << path;

    // GET: the form.
    HttpResponse page = get(path, {{"Accept", kBrowserAccept}});
    ASSERT_EQ(page.status, 200) << page.body;
    expect_reset_form(page, path, "reset form");
    EXPECT_TRUE(contains(page.body, "<html") || contains(page.body, "<!DOCTYPE")) << page.body;

    // POST with errors: 400, the form again, the errors shown; the link stays usable.
    HttpResponse mismatch = post_form(
        path, form({{"new_password", kNewPassword}, {"confirm_password", "Other-Value-77"}}));
    EXPECT_EQ(mismatch.status, 400) << mismatch.body;
    expect_reset_form(mismatch, path, "mismatch");
    EXPECT_TRUE(contains(mismatch.body, "Passwords do not match.")) << mismatch.body;
    HttpResponse common =
        post_form(path, form({{"new_password", "password1"}, {"confirm_password", "password1"}}));
    EXPECT_EQ(common.status, 400) << common.body;
    expect_reset_form(common, path, "too common");
    EXPECT_TRUE(contains(common.body, "This password is too common.")) << common.body;
    HttpResponse short_numeric =
        post_form(path, form({{"new_password", "1234"}, {"confirm_password", "1234"}}));
    EXPECT_EQ(short_numeric.status, 400);
    EXPECT_TRUE(contains(short_numeric.body,
                         "This password is too short. It must contain at least 8 characters."))
        << short_numeric.body;
    EXPECT_TRUE(contains(short_numeric.body, "This password is entirely numeric."))
        << short_numeric.body;
    HttpResponse blank =
        post_form(path, "new_password=&confirm_password=");  // what a browser sends
    EXPECT_EQ(blank.status, 400) << blank.body;
    expect_reset_form(blank, path, "blank fields");
    HttpResponse empty = post_form(path, "");
    EXPECT_EQ(empty.status, 400) << empty.body;
    EXPECT_TRUE(is_html(empty)) << "an empty form post is still a form post: " << empty.body;
    EXPECT_EQ(get(path).status, 200) << "failed attempts leave the link usable";
    EXPECT_TRUE(token_valid(before->access)) << "and the password unchanged";
    // (No login here: a login changes last_login, which spends the link, as in Django.)

    // POST valid: the success page; older tokens die, the old password fails, the new one works.
    HttpResponse done =
        post_form(path, form({{"new_password", kNewPassword}, {"confirm_password", kNewPassword}}));
    ASSERT_EQ(done.status, 200) << done.body;
    EXPECT_TRUE(is_html(done)) << done.header("Content-Type");
    EXPECT_TRUE(icontains(done.body, "reset")) << done.body;
    EXPECT_FALSE(has_password_input(done.body, "new_password")) << "a success page, not the form";
    expect_link_page_headers(done, "success page");
    EXPECT_FALSE(token_valid(before->access)) << "tokens issued before the reset are revoked";
    EXPECT_EQ(refresh(before->refresh).status, 401);
    expect_detail(login("grace", kPassword), 401, kInvalidCredentials, "invalid_credentials");
    auto after = tokens("grace", kNewPassword);
    ASSERT_TRUE(after) << "the new password (form-decoded exactly) logs in";
    EXPECT_TRUE(token_valid(after->access));

    // The link is spent, for GET and POST, HTML or JSON.
    HttpResponse used = get(path);
    EXPECT_EQ(used.status, 400) << used.body;
    EXPECT_TRUE(is_html(used));
    expect_link_page_headers(used, "spent link");
    EXPECT_EQ(post_form(path, form({{"new_password", "Zebra-Cloud-1"},
                                    {"confirm_password", "Zebra-Cloud-1"}}))
                  .status,
              400);
    EXPECT_EQ(post_json(path, json_object({{"new_password", "Zebra-Cloud-1"},
                                           {"confirm_password", "Zebra-Cloud-1"}}))
                  .status,
              400);
    EXPECT_TRUE(token_valid(after->access)) << "a spent link changes nothing";
}

TEST_F(AuthV1, PasswordResetJsonVariant) {
    ASSERT_TRUE(start());
    User henry = active_user("henry", "henry@example.com");
    ASSERT_GT(henry.id, 0);
    auto before = tokens("henry", kPassword);
    ASSERT_TRUE(before);
    // Two reset mails; using one spends the other as well (the password changed).
    ASSERT_EQ(request_reset("henry@example.com").status, 200);
    ASSERT_EQ(request_reset("henry@example.com").status, 200);
    std::string first = mailed_path("henry@example.com", "/auth/password_reset_confirm/", 2);
    std::string second = mailed_path("henry@example.com", "/auth/password_reset_confirm/", 3);
    ASSERT_FALSE(first.empty());
    ASSERT_FALSE(second.empty());

    HttpResponse mismatch =
        post_json(first, json_object({{"new_password", "Brisk-Meadow-81"},
                                      {"confirm_password", "Brisk-Meadow-18"}}));
    EXPECT_EQ(mismatch.status, 400);
    EXPECT_TRUE(is_json(mismatch));
    EXPECT_TRUE(has_field_error(mismatch, "confirm_password", "Passwords do not match."))
        << mismatch.body;
    HttpResponse missing = post_json(first, "{}");
    EXPECT_EQ(missing.status, 400);
    EXPECT_TRUE(has_field_error(missing, "new_password", kRequired)) << missing.body;
    EXPECT_TRUE(has_field_error(missing, "confirm_password", kRequired)) << missing.body;
    HttpResponse similar =
        post_json(first, json_object({{"new_password", "henry@example.com"},
                                      {"confirm_password", "henry@example.com"}}));
    EXPECT_EQ(similar.status, 400);
    EXPECT_TRUE(json_array_size(similar.body, "/new_password") >= 1) << similar.body;

    HttpResponse ok = post_json(first, json_object({{"new_password", "Brisk-Meadow-81"},
                                                    {"confirm_password", "Brisk-Meadow-81"}}));
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_TRUE(is_json(ok));
    EXPECT_EQ(json_string(ok.body, "detail"), "Password has been reset.");
    EXPECT_FALSE(token_valid(before->access));
    EXPECT_EQ(login("henry", kPassword).status, 401);
    EXPECT_EQ(login("henry", "Brisk-Meadow-81").status, 200);

    HttpResponse reused = post_json(first, json_object({{"new_password", "Other-Meadow-82"},
                                                        {"confirm_password", "Other-Meadow-82"}}));
    EXPECT_EQ(reused.status, 400) << reused.body;
    EXPECT_TRUE(is_json(reused)) << "a JSON client gets a JSON error";
    HttpResponse stale = post_json(second, json_object({{"new_password", "Other-Meadow-82"},
                                                        {"confirm_password", "Other-Meadow-82"}}));
    EXPECT_EQ(stale.status, 400) << "a link mailed before the reset dies with it: " << stale.body;
    EXPECT_EQ(get(second).status, 400);
    EXPECT_EQ(login("henry", "Brisk-Meadow-81").status, 200);
}

// A reset link is spent by its first use even when several requests present it at once: the
// store changes the password only if it is still the one the link was made for.
TEST_F(AuthV1, ResetLinkWorksOnceEvenWhenUsedConcurrently) {
    ASSERT_TRUE(start());
    User ivy = active_user("ivy", "ivy@example.com");
    ASSERT_GT(ivy.id, 0);
    ASSERT_EQ(request_reset("ivy@example.com").status, 200);
    std::string link = mailed_path("ivy@example.com", "/auth/password_reset_confirm/", 2);
    ASSERT_FALSE(link.empty());
    constexpr int kRacers = 6;
    std::vector<HttpResponse> answers(kRacers);
    std::vector<std::thread> racers;
    std::atomic<int> ready{0};
    for (int i = 0; i < kRacers; ++i) {
        racers.emplace_back([&, i] {
            std::string pw = "Racing-Harbour-" + std::to_string(40 + i);
            std::string body = json_object({{"new_password", pw}, {"confirm_password", pw}});
            ready.fetch_add(1);
            while (ready.load() < kRacers) std::this_thread::yield();
            answers[static_cast<size_t>(i)] = post_json(link, body);
        });
    }
    for (auto& t : racers) t.join();
    int winner = -1;
    for (int i = 0; i < kRacers; ++i) {
        const HttpResponse& a = answers[static_cast<size_t>(i)];
        if (a.status == 200) {
            EXPECT_EQ(winner, -1) << "a second request reset the password with the same link";
            winner = i;
        } else {
            EXPECT_EQ(a.status, 400) << a.body;
        }
    }
    ASSERT_NE(winner, -1) << "no request reset the password";
    EXPECT_EQ(login("ivy", "Racing-Harbour-" + std::to_string(40 + winner)).status, 200);
    for (int i = 0; i < kRacers; ++i) {
        if (i != winner)
            EXPECT_EQ(login("ivy", "Racing-Harbour-" + std::to_string(40 + i)).status, 401);
    }
}

// ---------------------------------------------------------------------------------------------
// Lifetimes: AUTHD_LINK_TTL and AUTHD_ACCESS_TTL

TEST_F(AuthV1, LinksAndAccessTokensExpire) {
    // tess is the bootstrap superuser: active without a link that could expire on a slow machine.
    ASSERT_TRUE(start({{"AUTHD_LINK_TTL", "1"},
                       {"AUTHD_ACCESS_TTL", "1"},
                       {"AUTHD_SUPERUSER_USERNAME", "tess"},
                       {"AUTHD_SUPERUSER_EMAIL", "tess@example.com"},
                       {"AUTHD_SUPERUSER_PASSWORD", kPassword}}));
    ASSERT_EQ(signup("uma", "uma@example.com").status, 201);
    std::string verify = mailed_path("uma@example.com", "/auth/verify-email/");
    auto pair = tokens("tess", kPassword);
    ASSERT_TRUE(pair);
    HttpResponse v = validate(pair->access);
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_LE(json_int(v.body, "exp"), now_seconds() + 2);
    ASSERT_EQ(request_reset("tess@example.com").status, 200);
    std::string reset = mailed_path("tess@example.com", "/auth/password_reset_confirm/");
    ASSERT_FALSE(verify.empty());
    ASSERT_FALSE(reset.empty());

    std::this_thread::sleep_for(
        2500ms);  // beyond both one-second lifetimes, whole seconds included
    EXPECT_EQ(get(verify).status, 400) << "an expired verification link";
    EXPECT_EQ(get(reset).status, 400) << "an expired reset link";
    EXPECT_EQ(post_json(reset, json_object({{"new_password", kNewPassword},
                                            {"confirm_password", kNewPassword}}))
                  .status,
              400);
    EXPECT_EQ(login("tess", kPassword).status, 200) << "the expired link changed nothing";
    HttpResponse expired = validate(pair->access);
    EXPECT_EQ(expired.status, 401) << expired.body;
    EXPECT_FALSE(json_bool(expired.body, "valid"));
    HttpResponse rf = refresh(pair->refresh);
    ASSERT_EQ(rf.status, 200) << "the refresh token outlives its access token: " << rf.body;
    EXPECT_TRUE(token_valid(json_string(rf.body, "access")));
}

}  // namespace
}  // namespace authd::test::v1
