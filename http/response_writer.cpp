// Response serialisation into the connection's output buffer, without allocating on the
// hot path (to_chars for numbers, the cached Date).
#include "http/response_writer.hpp"

#include <charconv>

#include "http/http_date.hpp"

namespace authd::http {
namespace {

void append_number(std::string& out, size_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, end);
}

void append_cors(std::string& out, const CorsPolicy& cors, const Request* req) {
    out += "Vary: Origin\r\n";
    std::string_view origin = req ? req->header("origin") : std::string_view{};
    if (!cors.allowed(origin)) return;
    cors.append_response_headers(out, origin);
    if (CorsPolicy::is_preflight(*req)) cors.append_preflight_headers(out);
}

}  // namespace

void write_head(std::string& out, const Response& res, size_t body_length, const CorsPolicy& cors,
                const Request* req, bool close) {
    out += "HTTP/1.1 ";
    append_number(out, static_cast<size_t>(res.status));
    out += ' ';
    out += reason_phrase(res.status);
    out += "\r\nDate: ";
    out += http_date();
    out += "\r\n";
    if (!res.body_is_empty) {
        out += "Content-Type: ";
        out += res.content_type;
        out += "\r\nContent-Length: ";
        append_number(out, body_length);
        out += "\r\n";
    }
    out += "X-Content-Type-Options: nosniff\r\n";
    if (res.no_store) out += "Cache-Control: no-store\r\n";
    for (const auto& [name, value] : res.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (cors.enabled()) append_cors(out, cors, req);
    if (close) {
        out += "Connection: close\r\n";
    } else if (req && req->version_minor == 0) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
}

}  // namespace authd::http
