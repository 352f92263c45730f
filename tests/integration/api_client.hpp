// ApiClient: /api/auth/ calls over the harness (one request per connection, Bearer tokens)
// and helpers that bring accounts into a given state: pending or active clients, agents.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tests/integration/harness.hpp"

namespace authd::test {

struct TokenPair {
    std::string access;
    std::string refresh;
};

// A user the test knows the password of; `id` is 0 until the server assigned one.
struct Account {
    int64_t id = 0;
    std::string username;
    std::string email;
    std::string password;
    TokenPair tokens;  // the last login's pair (empty until logged in)
};

// A fresh account description with a username unique in this process: `prefix` + a counter,
// and a password that passes Django's validators and is unlike the username.
Account new_account(std::string_view prefix);

// The JSON body of POST /api/auth/register/ for `a` (role omitted when empty).
std::string register_body(const Account& a, std::string_view role = {});

class ApiClient {
  public:
    explicit ApiClient(int port) : port_(port) {}

    // One request; a non-empty `token` is sent as "Authorization: Bearer <token>". A body
    // without `content_type` is sent as application/json.
    HttpResponse call(std::string_view method, std::string_view path, std::string_view body = {},
                      std::string_view token = {}, std::string_view content_type = {}) const;
    HttpResponse get(std::string_view path, std::string_view token = {}) const {
        return call("GET", path, {}, token);
    }
    HttpResponse post(std::string_view path, std::string_view body,
                      std::string_view token = {}) const {
        return call("POST", path, body, token);
    }
    HttpResponse patch(std::string_view path, std::string_view body,
                       std::string_view token = {}) const {
        return call("PATCH", path, body, token);
    }
    HttpResponse del(std::string_view path, std::string_view token = {}) const {
        return call("DELETE", path, {}, token);
    }

    // POST /api/auth/login/ → the pair, or nullopt (the answer is then in last_failure()).
    std::optional<TokenPair> login(std::string_view username, std::string_view password);
    bool login(Account& a);  // stores the pair in a.tokens

    // True when POST /api/auth/users/validate-token/ accepts the access token (200, valid).
    bool token_valid(std::string_view access) const;
    // Status of GET /api/auth/profile/ with that token.
    int profile_status(std::string_view access) const;

    // POST /api/auth/register/ (anonymous unless `token`); sets a.id on 201.
    HttpResponse register_account(Account& a, std::string_view role = {},
                                  std::string_view token = {}) const;
    // A pending CLIENT (registered, not validated). id 0 on failure.
    Account pending_client(std::string_view prefix) const;
    // A CLIENT validated by `admin_token`'s agent, logged in.
    Account active_client(std::string_view prefix, std::string_view admin_token);
    // An AGENT created by `superuser_token`, logged in.
    Account agent(std::string_view prefix, std::string_view superuser_token);

    const HttpResponse& last_failure() const { return last_failure_; }
    int port() const { return port_; }

  private:
    int port_;
    HttpResponse last_failure_;
};

std::string user_path(int64_t id, std::string_view action = {});  // /api/auth/users/<id>/[action/]

}  // namespace authd::test
