// CorsPolicy: exact-origin allow list (AUTHD_CORS_ORIGINS). Allowed origins get
// Access-Control-Allow-Origin; preflights get 204 with methods, headers and max-age.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"

namespace authd::http {

class CorsPolicy {
  public:
    CorsPolicy() = default;
    explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

    bool enabled() const { return !origins_.empty(); }
    bool allowed(std::string_view origin) const;
    static bool is_preflight(const Request& r);
    // Headers for an allowed origin on a normal response.
    void append_response_headers(std::string& out, std::string_view origin) const;
    // Extra headers for a preflight answer.
    void append_preflight_headers(std::string& out) const;

  private:
    std::vector<std::string> origins_;
};

}  // namespace authd::http
