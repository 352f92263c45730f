// Response serialisation: the status line and the standard headers (Date, Content-Type,
// Content-Length, nosniff, Cache-Control, CORS, Connection) appended to an output buffer.
#pragma once
#include <cstddef>
#include <string>

#include "http/cors.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::http {

// `req` is the request being answered when its head was parsed, else nullptr (an error
// answered before the head was complete). `close` adds "Connection: close".
void write_head(std::string& out, const Response& res, size_t body_length, const CorsPolicy& cors,
                const Request* req, bool close);

}  // namespace authd::http
