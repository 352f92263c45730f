// The HttpLayer fixture (one server per test, stopped gracefully at the end) and the raw-request
// helpers shared by the test_http_layer*.cpp files.
#pragma once

#include <cctype>
#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include "tests/integration/harness.hpp"

// Not in an anonymous namespace: the suite's tests live in several files and GoogleTest
// requires one fixture type per suite.
namespace authd::test::http_layer {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline constexpr const char* kValidate = "/auth/validate_token/";
inline constexpr const char* kAllowedOrigin = "https://app.example.com";

inline std::string get(std::string_view path, std::string_view extra_headers = "") {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
           std::string(extra_headers) + "\r\n";
}

inline std::string post(std::string_view path, std::string_view body,
                        std::string_view content_type = "application/json",
                        std::string_view extra_headers = "") {
    return "POST " + std::string(path) +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + std::string(content_type) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra_headers) + "\r\n" + std::string(body);
}

inline std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A token that is nothing like a JWT: every validation path must answer 401, never 200.
inline const std::string kGarbageBody = R"({"token": "garbage"})";

class HttpLayer : public ::testing::Test {
  protected:
    // Every test ends with a graceful stop: a crash, a sanitizer report at exit or a hang on
    // SIGTERM shows up as a non-zero status here.
    void TearDown() override {
        if (server_.running()) {
            EXPECT_EQ(server_.stop(), 0) << "authd did not exit 0 on SIGTERM";
        }
    }

    std::optional<HttpResponse> exchange(RawConnection& conn, std::string_view bytes) {
        if (!conn.send(bytes)) return std::nullopt;
        return conn.read_response();
    }

    ServerProcess server_;
};

inline void expect_standard_headers(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    static const std::regex imf_date(
        R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$)");
    EXPECT_EQ(r.header_count("Date"), 1u);
    EXPECT_TRUE(std::regex_match(r.header("Date"), imf_date)) << "Date: " << r.header("Date");
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    if (r.status == 204) {
        EXPECT_FALSE(r.has_header("Content-Length")) << "no Content-Length on 204";
    } else if (!r.chunked) {
        ASSERT_EQ(r.header_count("Content-Length"), 1u);
        EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
    }
}

}  // namespace authd::test::http_layer
