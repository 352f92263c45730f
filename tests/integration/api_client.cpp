// /api/auth/ client helpers for the integration tests.
#include "tests/integration/api_client.hpp"

#include <unistd.h>

#include <atomic>

namespace authd::test {

Account new_account(std::string_view prefix) {
    static std::atomic<int> counter{0};
    int n = ++counter;
    Account a;
    a.username =
        std::string(prefix) + "_" + std::to_string(::getpid() % 1000) + "x" + std::to_string(n);
    a.email = a.username + "@Example.COM";
    a.password = "Vivid-Otter-Lamp-" + std::to_string(n * 7 + 3);
    return a;
}

std::string register_body(const Account& a, std::string_view role) {
    std::string body =
        "{\"username\": " + json_quote(a.username) + ", \"email\": " + json_quote(a.email) +
        ", \"first_name\": \"Jane\", \"last_name\": \"Smith\", \"password\": " +
        json_quote(a.password) + ", \"confirm_password\": " + json_quote(a.password) +
        ", \"phone_number\": \"+33600000000\", \"address\": \"1 rue de la Paix\"";
    if (!role.empty()) body += ", \"role\": " + json_quote(role);
    return body + "}";
}

std::string user_path(int64_t id, std::string_view action) {
    std::string p = "/api/auth/users/" + std::to_string(id) + "/";
    if (!action.empty()) p += std::string(action) + "/";
    return p;
}

HttpResponse ApiClient::call(std::string_view method, std::string_view path, std::string_view body,
                             std::string_view token, std::string_view content_type) const {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(token));
    if (!content_type.empty()) headers.emplace_back("Content-Type", std::string(content_type));
    return request(port_, method, path, body, headers);
}

std::optional<TokenPair> ApiClient::login(std::string_view username, std::string_view password) {
    HttpResponse r = post("/api/auth/login/", "{\"username\": " + json_quote(username) +
                                                  ", \"password\": " + json_quote(password) + "}");
    if (r.status != 200) {
        last_failure_ = r;
        return std::nullopt;
    }
    return TokenPair{json_string(r.body, "token"), json_string(r.body, "refresh")};
}

bool ApiClient::login(Account& a) {
    auto pair = login(a.username, a.password);
    if (!pair) return false;
    a.tokens = *pair;
    return true;
}

bool ApiClient::token_valid(std::string_view access) const {
    HttpResponse r =
        post("/api/auth/users/validate-token/", "{\"token\": " + json_quote(access) + "}");
    return r.status == 200 && json_bool(r.body, "valid");
}

int ApiClient::profile_status(std::string_view access) const {
    return get("/api/auth/profile/", access).status;
}

HttpResponse ApiClient::register_account(Account& a, std::string_view role,
                                         std::string_view token) const {
    HttpResponse r = post("/api/auth/register/", register_body(a, role), token);
    if (r.status == 201) a.id = json_int(r.body, "id");
    return r;
}

Account ApiClient::pending_client(std::string_view prefix) const {
    Account a = new_account(prefix);
    register_account(a);
    return a;
}

Account ApiClient::active_client(std::string_view prefix, std::string_view admin_token) {
    Account a = pending_client(prefix);
    if (a.id == 0) return a;
    HttpResponse v = post(user_path(a.id, "validate"), "{}", admin_token);
    if (v.status != 200 || !login(a)) a.id = 0;
    return a;
}

Account ApiClient::agent(std::string_view prefix, std::string_view superuser_token) {
    Account a = new_account(prefix);
    HttpResponse r = post("/api/auth/agents/create/", register_body(a), superuser_token);
    if (r.status == 201) a.id = json_int(r.body, "id");
    if (a.id != 0 && !login(a)) a.id = 0;
    return a;
}

}  // namespace authd::test
