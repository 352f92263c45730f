// Benchmarks of the Redis store's list_users over 100,000 users, the same users and queries
// as bench_store_list.cpp's embedded figures, plus a first page and an all-matching search:
// one round trip from a loop (the list script runs in Redis, the page's hashes come back).
// Needs AUTHD_BENCH_REDIS=redis://host:port/db naming a SCRATCH database: when it does not
// hold exactly the users wanted, it is FLUSHDB'd and refilled (about 20 s for 100,000).
// Without it every benchmark here is skipped.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "bench/bench_users.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"
#include "store/redis_endpoint.hpp"
#include "store/redis_store.hpp"

namespace {

using namespace authd;
using store::UserQuery;

bool flush_db(const store::RedisUrl& u) {
    timeval tv{5, 0};
    redisContext* c = redisConnectWithTimeout(u.host.c_str(), u.port, tv);
    if (!c || c->err) return false;
    bool ok = true;
    if (!u.password.empty()) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "AUTH %s", u.password.c_str()));
        ok = r && r->type != REDIS_REPLY_ERROR;
        if (r) freeReplyObject(r);
    }
    auto* r = static_cast<redisReply*>(redisCommand(c, "SELECT %d", u.db));
    if (r) freeReplyObject(r);
    r = static_cast<redisReply*>(redisCommand(c, "FLUSHDB"));
    ok = ok && r && r->type != REDIS_REPLY_ERROR;
    if (r) freeReplyObject(r);
    redisFree(c);
    return ok;
}

struct RedisFixture {
    std::unique_ptr<core::Loop> loop;
    std::unique_ptr<store::RedisStore> db;
    std::string error;

    template <class F>
    void run(F&& body) {
        auto wrapper = [](F& fn, core::Loop& l) -> core::Task<void> {
            co_await fn();
            l.stop();
        };
        loop->post([&] { core::spawn(wrapper(body, *loop)); });
        loop->run();
    }

    RedisFixture(const std::string& url, int64_t count) {
        loop.reset(core::Loop::create(4096, 0, error));
        if (!loop) return;
        store::RedisStoreOptions options;
        options.subscribe = false;
        options.command_timeout = core::Millis(60000);  // the fill pipelines thousands of scripts
        db = store::RedisStore::open(url, options, error);
        if (!db) return;
        size_t have = 0;
        run([&]() -> core::Task<void> { have = *co_await db->count_users(); });
        if (have == static_cast<size_t>(count)) return;
        auto parsed = store::parse_redis_url(url, error);
        if (!parsed || !flush_db(*parsed)) {
            error = "cannot FLUSHDB " + url;
            db.reset();
            return;
        }
        db->close();
        db = store::RedisStore::open(url, options, error);  // a new epoch in the emptied db
        if (!db) return;
        fill(count);
    }
    ~RedisFixture() {
        if (db) db->close();
    }

    // Creates users 1..count, 2,000 in flight at a time.
    void fill(int64_t count) {
        struct Join {
            int64_t remaining = 0;
            std::coroutine_handle<> waiter;
        };
        for (int64_t from = 1; from <= count; from += 2000) {
            int64_t to = std::min(count, from + 1999);
            Join join{to - from + 1, {}};
            auto one = [](store::RedisStore& s, int64_t id, Join& j) -> core::Task<void> {
                co_await s.create_user(bench::bench_user(id), nullptr);
                if (--j.remaining == 0 && j.waiter) j.waiter.resume();
            };
            run([&]() -> core::Task<void> {
                for (int64_t id = from; id <= to; ++id) core::spawn(one(*db, id, join));
                struct Wait {
                    Join& j;
                    bool await_ready() { return j.remaining == 0; }
                    void await_suspend(std::coroutine_handle<> h) { j.waiter = h; }
                    void await_resume() {}
                };
                co_await Wait{join};
            });
        }
    }
};

RedisFixture* fixture(int64_t count, std::string& why) {
    const char* url = std::getenv("AUTHD_BENCH_REDIS");
    if (!url || !*url) {
        why = "set AUTHD_BENCH_REDIS=redis://127.0.0.1:6379/15 (a scratch database) to run";
        return nullptr;
    }
    static std::unique_ptr<RedisFixture> f;
    static int64_t f_count = 0;
    if (!f || f_count != count) {
        f.reset();
        f = std::make_unique<RedisFixture>(url, count);
        f_count = count;
    }
    if (!f->db) {
        why = "Redis at AUTHD_BENCH_REDIS is not usable: " + f->error;
        return nullptr;
    }
    return f.get();
}

void BM_RedisStoreList(benchmark::State& state) {
    std::string why;
    RedisFixture* f = fixture(state.range(0), why);
    if (!f) {
        state.SkipWithError(why.c_str());
        for (auto _ : state) {
        }
        return;
    }
    UserQuery q = bench::bench_query(static_cast<int>(state.range(1)));
    size_t total = 0, items = 0;
    // Every iteration inside one coroutine on the loop: Loop::run() is entered once.
    f->run([&]() -> core::Task<void> {
        for (auto _ : state) {
            store::UserPage page = *co_await f->db->list_users(q);
            total = page.total;
            items = page.items.size();
            benchmark::DoNotOptimize(page);
        }
    });
    if (items == 0 && total != 0) state.SkipWithError("list_users failed (timeout or Redis error)");
    state.counters["matches"] = static_cast<double>(total);
}
BENCHMARK(BM_RedisStoreList)
    ->ArgsProduct({{100000}, {0, 1, 2, 3, 4, 5}})
    ->ArgNames({"users", "query"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
