// Benchmarks of list_users over 100,000 users (target: < 5 ms for a searched page of 50):
// the in-memory UserTable scan alone, and the whole EmbeddedStore round trip from a loop
// (queue to the writer thread, scan, answer posted back). The data sets are built once.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "bench/bench_users.hpp"
#include "core/clock.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"
#include "store/embedded_store.hpp"
#include "store/journal.hpp"
#include "store/record_codec.hpp"
#include "store/user_table.hpp"

namespace {

using namespace authd;
using store::User;
using store::UserQuery;

// The shared user with the id and timestamps a store would have given it.
User make_user(int64_t id) {
    User u = bench::bench_user(id);
    u.id = id;
    u.created_at_us = u.updated_at_us = 1'750'000'000'000'000 + id;
    return u;
}

const store::UserTable& table(int64_t count) {
    static std::unique_ptr<store::UserTable> built;
    static int64_t built_count = 0;
    if (built_count != count) {
        built = std::make_unique<store::UserTable>();
        for (int64_t id = 1; id <= count; ++id) built->put(make_user(id));
        built_count = count;
    }
    return *built;
}

void BM_UserTableList(benchmark::State& state) {
    const store::UserTable& t = table(state.range(0));
    UserQuery q = bench::bench_query(static_cast<int>(state.range(1)));
    size_t total = 0;
    for (auto _ : state) {
        store::UserPage page = t.list(q);
        total = page.total;
        benchmark::DoNotOptimize(page);
    }
    state.counters["matches"] = static_cast<double>(total);
}
BENCHMARK(BM_UserTableList)
    ->ArgsProduct({{1000, 100000}, {0, 1, 2, 3}})
    ->ArgNames({"users", "query"})
    ->Unit(benchmark::kMillisecond);

// A store directory holding `count` users as a snapshot (written directly: building it
// through create_user would spend the setup budget on fsyncs), opened with a loop.
struct StoreFixture {
    std::string root;
    std::unique_ptr<core::Loop> loop;
    std::unique_ptr<store::EmbeddedStore> db;

    explicit StoreFixture(int64_t count) {
        char tmpl[] = "/tmp/authd-bench-XXXXXX";
        root = mkdtemp(tmpl);
        std::string error;
        {
            auto journal = store::Journal::open(root, error);
            journal->compact([count](store::RecordSink& sink) {
                std::string buf;
                store::encode_meta(buf, {count + 1, 1});
                sink.add(buf);
                for (int64_t id = 1; id <= count; ++id) {
                    store::encode_user_put(buf, make_user(id));
                    sink.add(buf);
                }
            });
        }
        db = store::EmbeddedStore::open(root, {}, error);
        loop.reset(core::Loop::create(64, 0, error));
        if (!db || !loop) std::abort();
    }
    ~StoreFixture() {
        db->close();  // joins the writer before the loop it posts to goes away
        loop.reset();
        std::filesystem::remove_all(root);
    }

    store::UserPage list(const UserQuery& q) {
        store::UserPage out;
        auto run = [](StoreFixture& f, UserQuery query, store::UserPage& page) -> core::Task<void> {
            page = *co_await f.db->list_users(std::move(query));
            f.loop->stop();
        };
        loop->post([&] { core::spawn(run(*this, q, out)); });
        loop->run();
        return out;
    }
};

StoreFixture& fixture(int64_t count) {
    static std::unique_ptr<StoreFixture> f;
    static int64_t f_count = 0;
    if (f_count != count) {
        f.reset();
        f = std::make_unique<StoreFixture>(count);
        f_count = count;
    }
    return *f;
}

void BM_EmbeddedStoreList(benchmark::State& state) {
    StoreFixture& f = fixture(state.range(0));
    UserQuery q = bench::bench_query(static_cast<int>(state.range(1)));
    size_t total = 0;
    for (auto _ : state) {
        store::UserPage page = f.list(q);
        total = page.total;
        benchmark::DoNotOptimize(page);
    }
    state.counters["matches"] = static_cast<double>(total);
}
BENCHMARK(BM_EmbeddedStoreList)
    ->ArgsProduct({{100000}, {0, 1}})
    ->ArgNames({"users", "query"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
