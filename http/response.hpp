// Response: what a handler answers. The connection serializes it with the standard headers
// (Date, Content-Length, nosniff, CORS, Connection) in http/response_writer.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authd::http {

struct Response {
    int status = 200;
    std::string_view content_type = "application/json";  // static strings only
    std::string body;
    // Extra headers (name, value); names are static strings.
    std::vector<std::pair<std::string_view, std::string>> headers;
    bool no_store = false;          // Cache-Control: no-store (tokens, user data)
    bool close_connection = false;  // answer, then close (malformed requests)
    bool body_is_empty = false;     // 204 / 304: no body, no Content-Length

    void reset() {
        status = 200;
        content_type = "application/json";
        body.clear();
        headers.clear();
        no_store = close_connection = body_is_empty = false;
    }
    Response& header(std::string_view name, std::string value) {
        headers.emplace_back(name, std::move(value));
        return *this;
    }
};

// {"detail": message} with an optional DRF-style "code".
Response detail_response(int status, std::string_view detail, std::string_view code = {});
// A JSON body as given.
Response json_response(int status, std::string body);
std::string_view reason_phrase(int status);

}  // namespace authd::http
