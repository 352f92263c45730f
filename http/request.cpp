// Request storage and header lookup.
#include "http/request.hpp"

#include <strings.h>

namespace authd::http {

void Request::reset() {
    head_.clear();
    body_.clear();
    headers_.clear();
    target_ = path_ = query_ = {};
    param_count_ = 0;
    method = Method::other;
    method_text = {};
    keep_alive = true;
    context = nullptr;
    peer_ = {};
}

Span Request::append(std::string_view bytes) {
    Span s{static_cast<uint32_t>(head_.size()), static_cast<uint32_t>(bytes.size())};
    head_.append(bytes);
    return s;
}

void Request::extend(Span& span, std::string_view bytes) {
    head_.append(bytes);
    span.length += static_cast<uint32_t>(bytes.size());
}

void Request::set_target(Span s) {
    target_ = s;
    std::string_view t = view(s);
    size_t q = t.find('?');
    if (q == std::string_view::npos) {
        path_ = s;
        query_ = {s.offset + s.length, 0};
    } else {
        path_ = {s.offset, static_cast<uint32_t>(q)};
        query_ = {static_cast<uint32_t>(s.offset + q + 1), static_cast<uint32_t>(s.length - q - 1)};
    }
}

std::string_view Request::header(std::string_view name) const {
    for (const auto& h : headers_) {
        if (h.name.length == name.size() &&
            strncasecmp(head_.data() + h.name.offset, name.data(), name.size()) == 0) {
            std::string_view v = view(h.value);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            return v;
        }
    }
    return {};
}

bool Request::header_named(const HeaderSpan& h, std::string_view name) const {
    return h.name.length == name.size() &&
           strncasecmp(head_.data() + h.name.offset, name.data(), name.size()) == 0;
}

std::string_view Request::trimmed(std::string_view v) {
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    return v;
}

bool Request::has_header(std::string_view name) const {
    for (const auto& h : headers_) {
        if (h.name.length == name.size() &&
            strncasecmp(head_.data() + h.name.offset, name.data(), name.size()) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace authd::http
