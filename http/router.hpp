// Router: (method, path pattern) → handler. Patterns use Django's converters
// (`<int:id>`, `<str:token>`); every path is served with and without its trailing slash.
// Static paths are one hash lookup; patterns are matched segment by segment.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/task.hpp"
#include "http/method.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::http {

// Hot-path handlers answer synchronously into a reused Response; others are coroutines.
using SyncHandler = void (*)(Request&, Response&);
using AsyncHandler = core::Task<Response> (*)(Request&);

struct Handler {
    SyncHandler sync = nullptr;
    AsyncHandler async = nullptr;
};

// All handlers of one path pattern; `id` indexes per-route metrics.
struct RouteEntry {
    std::string pattern;
    uint16_t id = 0;
    std::array<Handler, 8> by_method{};  // indexed by Method
    unsigned allowed = 0;                // method bits
    std::string allow_header;            // "GET, POST, OPTIONS"
};

struct RouteMatch {
    const RouteEntry* route = nullptr;  // null: no such path (404)
    Handler handler;                    // empty: path known but method not allowed (405)
    std::array<std::string_view, Request::max_params> params{};
    size_t param_count = 0;
};

class Router {
  public:
    // Registers a handler; the pattern is written with its trailing slash, e.g.
    // "/api/auth/users/<int:id>/". Returns false for a malformed pattern.
    bool add(Method method, std::string_view pattern, Handler handler);
    bool add(Method m, std::string_view p, SyncHandler h) { return add(m, p, Handler{h, nullptr}); }
    bool add(Method m, std::string_view p, AsyncHandler h) {
        return add(m, p, Handler{nullptr, h});
    }

    RouteMatch match(Method method, std::string_view path) const;

    size_t route_count() const { return routes_.size(); }
    const RouteEntry& route(size_t id) const { return routes_[id]; }

  private:
    enum class SegmentKind : uint8_t { literal, int_param, str_param, path_param };
    struct Segment {
        SegmentKind kind;
        std::string text;
    };
    struct Pattern {
        std::vector<Segment> segments;
        uint16_t route_id;
    };

    RouteEntry& entry_for(std::string_view pattern);
    static bool parse_pattern(std::string_view pattern, std::vector<Segment>& out);
    static std::string_view normalize(std::string_view path);
    bool match_pattern(const Pattern& p, std::string_view path, RouteMatch& m) const;

    struct PathHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::vector<RouteEntry> routes_;
    // normalized path → route id; transparent so lookups take a string_view without copying
    std::unordered_map<std::string, uint16_t, PathHash, std::equal_to<>> static_routes_;
    std::vector<Pattern> patterns_;
};

}  // namespace authd::http
