// HTML templates for the link pages.
#include "auth/html_pages.hpp"

#include <cstdlib>

namespace authd::auth {
namespace {

constexpr std::string_view page_head =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<meta name=\"referrer\" content=\"no-referrer\"><title>";
constexpr std::string_view page_style =
    "</title><style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem "
    "auto;padding:0 1rem}"
    "label{display:block;margin-top:1rem}input{width:100%;padding:.5rem;box-sizing:border-box}"
    "button{margin-top:1.5rem;padding:.6rem 1.2rem}.errors{color:#b00020}</style></head><body>";
constexpr std::string_view page_tail = "</body></html>\n";

http::Response page(int status, std::string_view title, std::string_view body_html) {
    http::Response res;
    res.status = status;
    res.content_type = "text/html; charset=utf-8";
    res.body.reserve(page_head.size() + page_style.size() + body_html.size() + 128);
    res.body += page_head;
    res.body += html_escape(title);
    res.body += page_style;
    res.body += body_html;
    res.body += page_tail;
    add_link_page_headers(res);
    return res;
}

std::string error_list(const std::vector<std::string>& messages) {
    std::string out = "<ul class=\"errors\">";
    for (const auto& m : messages) out += "<li>" + html_escape(m) + "</li>";
    return out + "</ul>";
}

// q-value of the first media range in `accept` matching `type` (0 when absent).
double quality_of(std::string_view accept, std::string_view type) {
    double best = 0;
    while (!accept.empty()) {
        size_t comma = accept.find(',');
        std::string_view item = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        size_t semi = item.find(';');
        std::string_view range = item.substr(0, semi);
        while (!range.empty() && range.back() == ' ') range.remove_suffix(1);
        if (range != type) continue;
        double q = 1.0;
        size_t qpos = item.find("q=");
        if (qpos != std::string_view::npos)
            q = std::strtod(std::string(item.substr(qpos + 2)).c_str(), nullptr);
        if (q > best) best = q;
    }
    return best;
}

}  // namespace

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#x27;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

void add_link_page_headers(http::Response& res) {
    res.no_store = true;
    res.header("Referrer-Policy", "no-referrer");
    res.header("X-Frame-Options", "DENY");
    res.header("Content-Security-Policy",
               "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors "
               "'none'; "
               "base-uri 'none'");
}

http::Response reset_form_page(
    int status, std::string_view action_path,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& errors) {
    std::string body = "<h1>Choose a new password</h1>";
    for (const auto& [field, messages] : errors) {
        if (field != "new_password" && field != "confirm_password") body += error_list(messages);
    }
    body += "<form method=\"post\" action=\"" + html_escape(action_path) + "\">";
    for (std::string_view field : {"new_password", "confirm_password"}) {
        std::string_view label = field == "new_password" ? "New password" : "Confirm new password";
        body += "<label for=\"" + std::string(field) + "\">" + std::string(label) + "</label>";
        body += "<input type=\"password\" id=\"" + std::string(field) + "\" name=\"" +
                std::string(field) +
                "\" autocomplete=\"new-password\" required maxlength=\"1024\">";
        for (const auto& [name, messages] : errors) {
            if (name == field) body += error_list(messages);
        }
    }
    body += "<button type=\"submit\">Reset password</button></form>";
    return page(status, "Reset your password", body);
}

http::Response reset_done_page() {
    return page(
        200, "Password reset",
        "<h1>Password reset</h1><p>Your password has been reset. You can now sign in with your new "
        "password.</p>");
}

http::Response invalid_link_page(std::string_view what) {
    std::string body = "<h1>Invalid link</h1><p>This " + html_escape(what) +
                       " link is invalid or has expired, or it has already been used.</p>";
    return page(400, "Invalid link", body);
}

http::Response verified_page() {
    return page(200, "Email verified",
                "<h1>Email verified</h1><p>Thank you, your email address is verified.</p>");
}

bool prefers_html(const http::Request& req) {
    std::string_view accept = req.header("accept");
    if (accept.empty()) return false;
    double html = quality_of(accept, "text/html");
    double json =
        std::max(quality_of(accept, "application/json"), quality_of(accept, "*/*") * 0.999);
    return html > 0 && html >= json;
}

}  // namespace authd::auth
