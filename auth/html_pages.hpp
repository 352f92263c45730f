// The HTML pages behind mailed links: the password-reset form (with its errors), the
// results, and the email-verification outcome. Every value is HTML-escaped, and the
// responses carry the no-referrer / no-frame / CSP / no-store headers of API.md §4.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::auth {

std::string html_escape(std::string_view s);

// Adds the security headers every page reached through a token URL must carry.
void add_link_page_headers(http::Response& res);

http::Response reset_form_page(
    int status, std::string_view action_path,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& errors);
http::Response reset_done_page();
http::Response invalid_link_page(std::string_view what);  // "password reset" / "verification"
http::Response verified_page();

// True when the Accept header ranks text/html above application/json.
bool prefers_html(const http::Request& req);

}  // namespace authd::auth
