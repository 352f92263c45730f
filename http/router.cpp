// Router: pattern parsing and matching.
#include "http/router.hpp"

namespace authd::http {
namespace {

constexpr Method all_methods[] = {Method::get,   Method::head, Method::post,   Method::put,
                                  Method::patch, Method::del,  Method::options};

bool is_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

std::string allow_header_for(unsigned bits) {
    std::string out;
    for (Method m : all_methods) {
        if (bits & method_bit(m)) {
            if (!out.empty()) out += ", ";
            out += method_name(m);
        }
    }
    return out;
}

}  // namespace

std::string_view Router::normalize(std::string_view path) {
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    return path;
}

bool Router::parse_pattern(std::string_view pattern, std::vector<Segment>& out) {
    if (pattern.empty() || pattern.front() != '/') return false;
    pattern = normalize(pattern).substr(1);
    size_t params = 0;
    while (!pattern.empty()) {
        size_t slash = pattern.find('/');
        std::string_view seg = pattern.substr(0, slash);
        if (seg.starts_with("<int:") && seg.ends_with(">")) {
            out.push_back({SegmentKind::int_param, {}});
            ++params;
        } else if (seg.starts_with("<str:") && seg.ends_with(">")) {
            out.push_back({SegmentKind::str_param, {}});
            ++params;
        } else if (seg.starts_with("<path:") && seg.ends_with(">")) {
            if (slash != std::string_view::npos) return false;  // it takes the rest: last only
            out.push_back({SegmentKind::path_param, {}});
            ++params;
        } else if (seg.empty() || seg.find('<') != std::string_view::npos) {
            return false;
        } else {
            out.push_back({SegmentKind::literal, std::string(seg)});
        }
        if (slash == std::string_view::npos) break;
        pattern.remove_prefix(slash + 1);
    }
    return params <= Request::max_params;  // more could never be captured, so never match
}

RouteEntry& Router::entry_for(std::string_view pattern) {
    for (auto& r : routes_) {
        if (r.pattern == pattern) return r;
    }
    RouteEntry& r = routes_.emplace_back();
    r.pattern = std::string(pattern);
    r.id = static_cast<uint16_t>(routes_.size() - 1);
    return r;
}

bool Router::add(Method method, std::string_view pattern, Handler handler) {
    std::vector<Segment> segments;
    if (!parse_pattern(pattern, segments)) return false;
    size_t before = routes_.size();
    RouteEntry& entry = entry_for(pattern);
    entry.by_method[static_cast<size_t>(method)] = handler;
    entry.allowed |= method_bit(method);
    // OPTIONS is always answered, and HEAD wherever GET is (the connection serves it with GET).
    unsigned allow = entry.allowed | method_bit(Method::options);
    if (allow & method_bit(Method::get)) allow |= method_bit(Method::head);
    entry.allow_header = allow_header_for(allow);
    if (routes_.size() == before) return true;  // another method on a known pattern
    bool has_params = false;
    for (const auto& s : segments) has_params |= s.kind != SegmentKind::literal;
    if (has_params) {
        patterns_.push_back({std::move(segments), entry.id});
    } else {
        static_routes_.emplace(std::string(normalize(pattern)), entry.id);
    }
    return true;
}

bool Router::match_pattern(const Pattern& p, std::string_view path, RouteMatch& m) const {
    path = normalize(path);
    if (path.empty() || path.front() != '/') return false;
    path.remove_prefix(1);
    size_t n = 0;
    for (size_t i = 0; i < p.segments.size(); ++i) {
        if (path.empty() && i < p.segments.size()) return false;
        size_t slash = path.find('/');
        std::string_view seg = path.substr(0, slash);
        const Segment& s = p.segments[i];
        if (s.kind == SegmentKind::path_param) {  // the last segment: everything that is left
            if (n >= Request::max_params) return false;
            m.params[n++] = path;
            path = {};
            break;
        }
        if (s.kind == SegmentKind::literal) {
            if (seg != s.text) return false;
        } else {
            if (seg.empty() || (s.kind == SegmentKind::int_param && !is_digits(seg))) return false;
            if (n >= Request::max_params) return false;
            m.params[n++] = seg;
        }
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (slash == std::string_view::npos && i + 1 < p.segments.size()) return false;
    }
    if (!path.empty()) return false;
    m.param_count = n;
    return true;
}

RouteMatch Router::match(Method method, std::string_view path) const {
    RouteMatch m;
    auto it = static_routes_.find(normalize(path));
    if (it != static_routes_.end()) {
        m.route = &routes_[it->second];
    } else {
        for (const auto& p : patterns_) {
            if (match_pattern(p, path, m)) {
                m.route = &routes_[p.route_id];
                break;
            }
        }
    }
    if (m.route) m.handler = m.route->by_method[static_cast<size_t>(method)];
    return m;
}

}  // namespace authd::http
