// Fuzz target: the JSON and form body readers and query-string decoding (the first byte
// picks the content type); checks the field cap and unique names.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "http/body_fields.hpp"
#include "http/request_parser.hpp"

using namespace authd::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const char* types[] = {"application/json", "application/x-www-form-urlencoded",
                           "application/json; charset=utf-8", "text/plain"};
    const char* type = types[data[0] % 4];
    std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string bytes = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: ";
    bytes += type;
    bytes += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    Request req;
    RequestParser p;
    p.set_request(&req);
    if (p.feed(bytes).event != ParseEvent::request_ready) return 0;
    BodyFields f;
    auto err = parse_body(req, f);
    if (!err) {
        if (f.fields.size() > max_body_fields) std::abort();
        std::set<std::string> names;
        for (const Field& x : f.fields) {
            if (!names.insert(x.name).second) std::abort();  // a duplicate survived
        }
    } else if (err->status != 400 && err->status != 415) {
        std::abort();
    }
    std::vector<Field> q;
    decode_urlencoded(body, q);
    if (q.size() > max_body_fields) std::abort();
    return 0;
}
