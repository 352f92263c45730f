// BodyFields: a request body (JSON object or urlencoded form) as a flat list of top-level
// fields, so handlers validate both content types the same way, like DRF's request.data.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::http {

enum class FieldKind : uint8_t { string, number, boolean, null, array, object };

struct Field {
    std::string name;
    FieldKind kind = FieldKind::string;
    std::string value;  // string: decoded text; number: JSON text; boolean: "true"/"false"
};

// A body or query string with more distinct or repeated fields than this is refused (400):
// every reader below is linear in its input, and the field list stays small.
inline constexpr size_t max_body_fields = 256;

struct BodyFields {
    std::vector<Field> fields;  // in body order; a repeated name keeps its last value
    bool from_form = false;
    const Field* find(std::string_view name) const;
};

// Parses the body by Content-Type. Returns the DRF error response (415, 400) on failure.
// An empty body yields no fields. Takes the request mutably to pad the body for simdjson.
std::optional<Response> parse_body(Request& req, BodyFields& out);

// application/x-www-form-urlencoded decoding (also used for query strings).
enum class FormError { none, bad_utf8, too_many_fields };
FormError decode_urlencoded(std::string_view text, std::vector<Field>& out);
inline bool parse_urlencoded(std::string_view text, std::vector<Field>& out) {
    return decode_urlencoded(text, out) == FormError::none;
}
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace authd::http
