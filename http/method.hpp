// HTTP methods the router knows, as bits so a path can list the methods it allows.
#pragma once
#include <cstdint>
#include <string_view>

namespace authd::http {

enum class Method : uint8_t { get, head, post, put, patch, del, options, other };

inline constexpr unsigned method_bit(Method m) {
    return 1u << static_cast<unsigned>(m);
}

inline std::string_view method_name(Method m) {
    switch (m) {
        case Method::get:
            return "GET";
        case Method::head:
            return "HEAD";
        case Method::post:
            return "POST";
        case Method::put:
            return "PUT";
        case Method::patch:
            return "PATCH";
        case Method::del:
            return "DELETE";
        case Method::options:
            return "OPTIONS";
        case Method::other:
            return "OTHER";
    }
    return "OTHER";
}

}  // namespace authd::http
