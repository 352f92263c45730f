// Cached IMF-fixdate for the Date header.
#include "http/http_date.hpp"

#include <ctime>

namespace authd::http {

std::string_view http_date() {
    thread_local time_t cached_second = 0;
    thread_local char buf[32];
    thread_local size_t len = 0;
    time_t now = time(nullptr);
    if (now != cached_second) {
        tm t{};
        gmtime_r(&now, &t);
        len = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &t);
        cached_second = now;
    }
    return {buf, len};
}

}  // namespace authd::http
