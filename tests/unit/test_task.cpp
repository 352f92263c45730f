// Task<T>: laziness, chains of awaits, move-only results, resumption from outside,
// symmetric transfer (deep nesting and long await loops on a small stack), spawn()
// and the per-thread frame pool.
#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>
#include <coroutine>
#include <memory>
#include <string>
#include <vector>

#include "core/frame_pool.hpp"
#include "core/task.hpp"

namespace authd::core {
namespace {

// Runs a root task to completion synchronously and returns its result.
template <class T>
T run_sync(Task<T> t) {
    bool done = false;
    t.start([&] { done = true; });
    EXPECT_TRUE(done);
    return std::move(t.result());
}

// A manual event: awaiting suspends until set() resumes the waiter (from anywhere).
struct Event {
    std::coroutine_handle<> waiter;
    bool await_ready() { return false; }
    void await_suspend(std::coroutine_handle<> h) { waiter = h; }
    void await_resume() {}
    void set() { std::exchange(waiter, {}).resume(); }
};

struct Counted {
    int* destroyed;
    explicit Counted(int* d) : destroyed(d) {}
    Counted(Counted&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
    ~Counted() {
        if (destroyed) ++*destroyed;
    }
};

Task<int> leaf(int v) {
    co_return v;
}

Task<int> middle(int v) {
    int a = co_await leaf(v);
    int b = co_await leaf(v + 1);
    co_return a + b;
}

Task<std::string> top(int v) {
    int x = co_await middle(v);
    co_return "sum=" + std::to_string(x);
}

TEST(Task, ChainsOfAwaitsReturnValues) {
    EXPECT_EQ(run_sync(top(1)), "sum=3");
    EXPECT_EQ(run_sync(top(100)), "sum=201");
}

Task<std::unique_ptr<int>> make_box(int v) {
    co_return std::make_unique<int>(v);
}

Task<int> unbox() {
    std::unique_ptr<int> p = co_await make_box(41);
    co_return *p + 1;
}

TEST(Task, MoveOnlyResults) {
    EXPECT_EQ(run_sync(unbox()), 42);
    auto p = run_sync(make_box(5));
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, 5);
}

Task<void> append(std::vector<int>* log, int v) {
    log->push_back(v);
    co_return;
}

Task<void> void_chain(std::vector<int>* log) {
    log->push_back(0);
    co_await append(log, 1);
    co_await append(log, 2);
    log->push_back(3);
}

TEST(Task, VoidTasksRunInOrder) {
    std::vector<int> log;
    Task<void> t = void_chain(&log);
    EXPECT_TRUE(log.empty());  // lazy: nothing runs before start/await
    EXPECT_TRUE(t.valid());
    EXPECT_FALSE(t.done());
    bool done = false;
    t.start([&] { done = true; });
    EXPECT_TRUE(done);
    EXPECT_TRUE(t.done());
    EXPECT_EQ(log, (std::vector<int>{0, 1, 2, 3}));
}

Task<int> holds(Counted c, int v) {
    (void)c;
    co_return v;
}

TEST(Task, NeverStartedTaskFreesItsFrameAndParameters) {
    int destroyed = 0;
    {
        Task<int> t = holds(Counted(&destroyed), 1);
        EXPECT_EQ(destroyed, 0);
    }
    EXPECT_EQ(destroyed, 1);
    Task<int> moved_from = holds(Counted(&destroyed), 2);
    Task<int> target = std::move(moved_from);
    EXPECT_FALSE(moved_from.valid());
    target = holds(Counted(&destroyed), 3);  // move-assign destroys the old frame
    EXPECT_EQ(destroyed, 2);
    EXPECT_EQ(run_sync(std::move(target)), 3);
}

Task<int> waits(Event* e, std::vector<int>* log) {
    log->push_back(1);
    co_await *e;
    log->push_back(3);
    co_return 7;
}

Task<int> outer(Event* e, std::vector<int>* log) {
    int v = co_await waits(e, log);
    log->push_back(4);
    co_return v * 6;
}

TEST(Task, SuspendedChainResumesFromOutside) {
    Event e;
    std::vector<int> log;
    Task<int> t = outer(&e, &log);
    bool done = false;
    t.start([&] { done = true; });
    EXPECT_FALSE(done);
    EXPECT_EQ(log, (std::vector<int>{1}));
    log.push_back(2);
    e.set();  // resumes the leaf; it finishes and transfers to outer, which finishes too
    EXPECT_TRUE(done);
    EXPECT_EQ(log, (std::vector<int>{1, 2, 3, 4}));
    EXPECT_EQ(t.result(), 42);
}

// --- symmetric transfer ---

Task<int> nested(int depth) {
    if (depth == 0) co_return 0;
    int below = co_await nested(depth - 1);
    co_return below + 1;
}

Task<long> many_awaits(int n) {
    long sum = 0;
    for (int i = 0; i < n; ++i) sum += co_await leaf(1);
    co_return sum;
}

Task<int> nested_suspending(int depth, Event* e) {
    if (depth == 0) {
        co_await *e;
        co_return 0;
    }
    int below = co_await nested_suspending(depth - 1, e);
    co_return below + 1;
}

#if defined(__SANITIZE_ADDRESS__)
// GCC 12 does not emit symmetric transfer as a tail call under -fsanitize=address: every
// transfer nests a call, so the stack grows with depth. The no-growth property is checked
// by the normal build; the sanitizer build checks the frames' memory safety on a big stack.
constexpr size_t test_stack_bytes = size_t{512} << 20;
constexpr int sequential_awaits = 100000;
#else
constexpr size_t test_stack_bytes = 256 * 1024;
constexpr int sequential_awaits = 1000000;
#endif

// Runs fn on a thread with a small stack, so recursion through resume() would overflow it.
template <class F>
void on_small_stack(F fn, size_t stack_bytes = test_stack_bytes) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack_bytes);
    pthread_t th;
    auto* heap_fn = new F(std::move(fn));
    int rc = pthread_create(
        &th, &attr,
        [](void* p) -> void* {
            std::unique_ptr<F> f(static_cast<F*>(p));
            (*f)();
            return nullptr;
        },
        heap_fn);
    pthread_attr_destroy(&attr);
    ASSERT_EQ(rc, 0);
    pthread_join(th, nullptr);
}

TEST(Task, TenThousandNestedAwaitsDoNotGrowTheStack) {
    int result = -1;
    on_small_stack([&] { result = run_sync(nested(10000)); });
    EXPECT_EQ(result, 10000);
}

TEST(Task, AMillionSequentialAwaitsDoNotGrowTheStack) {
    long result = -1;
    on_small_stack([&] { result = run_sync(many_awaits(sequential_awaits)); });
    EXPECT_EQ(result, sequential_awaits);
}

TEST(Task, DeepChainResumedFromOutsideUnwindsWithoutRecursion) {
    int result = -1;
    on_small_stack([&] {
        Event e;
        Task<int> t = nested_suspending(10000, &e);
        bool done = false;
        t.start([&] { done = true; });
        EXPECT_FALSE(done);
        e.set();  // 10,000 final-suspend transfers back up the chain
        EXPECT_TRUE(done);
        result = t.result();
    });
    EXPECT_EQ(result, 10000);
}

// --- spawn ---

Task<void> spawned(Event* e, int* destroyed, int* progress) {
    Counted guard(destroyed);
    *progress = 1;
    co_await *e;
    *progress = 2;
    int x = co_await leaf(5);
    *progress = 2 + x;
}

TEST(Task, SpawnRunsDetachedAndFreesItself) {
    int destroyed = 0, progress = 0;
    Event e;
    spawn(spawned(&e, &destroyed, &progress));
    EXPECT_EQ(progress, 1);   // ran until its first suspension
    EXPECT_EQ(destroyed, 0);  // frame alive while suspended
    e.set();
    EXPECT_EQ(progress, 7);
    EXPECT_EQ(destroyed, 1);  // locals destroyed: the frame freed itself at the end
}

TEST(Task, SpawnOfASynchronousTask) {
    std::vector<int> log;
    spawn(void_chain(&log));
    EXPECT_EQ(log, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Task, ManySpawnedTasksWaitingAtOnce) {
    constexpr int n = 1000;
    std::vector<Event> events(n);
    int destroyed = 0;
    std::vector<int> progress(n, 0);
    for (int i = 0; i < n; ++i) spawn(spawned(&events[i], &destroyed, &progress[i]));
    for (int i = n - 1; i >= 0; --i) events[i].set();  // out of creation order
    EXPECT_EQ(destroyed, n);
    for (int p : progress) EXPECT_EQ(p, 7);
}

// --- frame pool ---

TEST(FramePool, FreedFramesAreReusedPerSizeClass) {
    void* a = frame_alloc(100);
    frame_free(a, 100);
    void* b = frame_alloc(100);
    EXPECT_EQ(a, b);  // LIFO free list
    frame_free(b, 100);
    void* c = frame_alloc(120);  // same 128-byte class
    EXPECT_EQ(a, c);
    void* d = frame_alloc(200);  // a different class does not take it
    EXPECT_NE(d, c);
    frame_free(c, 120);
    frame_free(d, 200);
    void* e = frame_alloc(129);
    EXPECT_EQ(e, d);
    frame_free(e, 129);
}

TEST(FramePool, FramesAreUsableToTheirFullSize) {
    for (size_t size : {size_t{1}, size_t{127}, size_t{128}, size_t{129}, size_t{2048},
                        size_t{2049}, size_t{100000}}) {
        auto* p = static_cast<unsigned char*>(frame_alloc(size));
        std::fill(p, p + size, 0xAB);  // ASan checks the bounds
        frame_free(p, size);
    }
}

TEST(FramePool, LargeBurstsAreReturnedWithoutLeakOrReuseOfLiveFrames) {
    std::vector<void*> live;
    for (int i = 0; i < 1000; ++i) {
        live.push_back(frame_alloc(300));
        *static_cast<int*>(live.back()) = i;
    }
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(*static_cast<int*>(live[static_cast<size_t>(i)]), i);
    std::vector<void*> sorted = live;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());  // all distinct
    for (void* p : live) frame_free(p, 300);  // beyond the per-class cap: the rest go to the heap
}

struct FrameAddress {
    void** out;
    bool await_ready() { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
        *out = h.address();
        return false;  // do not actually suspend
    }
    void await_resume() {}
};

Task<int> records_frame(void** out) {
    co_await FrameAddress{out};
    co_return 1;
}

TEST(FramePool, TaskFramesAreRecycled) {
    void* first = nullptr;
    void* second = nullptr;
    EXPECT_EQ(run_sync(records_frame(&first)), 1);
    EXPECT_EQ(run_sync(records_frame(&second)), 1);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first, second);  // the second task took the first one's frame
}

}  // namespace
}  // namespace authd::core
