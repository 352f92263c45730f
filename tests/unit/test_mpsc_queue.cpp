// MpscQueue (Vyukov intrusive MPSC): FIFO on one thread, the stub re-insertion path, node
// reuse after pop, and many producers against one consumer — each node exactly once, in
// per-producer order.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "core/mpsc_queue.hpp"

namespace authd::core {
namespace {

struct Node : MpscNode {
    int producer = 0;
    int seq = 0;
};

Node* pop_node(MpscQueue& q) {
    return static_cast<Node*>(q.pop());
}

TEST(MpscQueue, EmptyPopsNothing) {
    MpscQueue q;
    EXPECT_EQ(q.pop(), nullptr);
    EXPECT_EQ(q.pop(), nullptr);
}

TEST(MpscQueue, FifoOnOneThread) {
    MpscQueue q;
    std::vector<Node> nodes(100);
    for (int i = 0; i < 100; ++i) {
        nodes[static_cast<size_t>(i)].seq = i;
        q.push(&nodes[static_cast<size_t>(i)]);
    }
    for (int i = 0; i < 100; ++i) {
        Node* n = pop_node(q);
        ASSERT_NE(n, nullptr) << i;
        EXPECT_EQ(n->seq, i);
    }
    EXPECT_EQ(q.pop(), nullptr);
}

TEST(MpscQueue, SingleElementRoundTripsReinsertTheStub) {
    // One element at a time takes the path where the consumer re-pushes the stub node.
    MpscQueue q;
    Node a, b;
    a.seq = 1;
    b.seq = 2;
    for (int round = 0; round < 1000; ++round) {
        q.push(&a);
        Node* x = pop_node(q);
        ASSERT_EQ(x, &a);
        EXPECT_EQ(q.pop(), nullptr);
        q.push(&b);
        q.push(&a);  // a popped node may be pushed again at once
        ASSERT_EQ(pop_node(q), &b);
        ASSERT_EQ(pop_node(q), &a);
        EXPECT_EQ(q.pop(), nullptr);
    }
}

TEST(MpscQueue, InterleavedPushAndPop) {
    MpscQueue q;
    std::vector<Node> nodes(64);
    int next_push = 0, next_pop = 0;
    for (int step = 0; step < 10000; ++step) {
        // Push 0–3, pop 0–3, keeping at most 64 in flight (nodes are reused round-robin).
        int pushes = step % 4, pops = (step * 7) % 4;
        for (int i = 0; i < pushes && next_push - next_pop < 64; ++i) {
            Node& n = nodes[static_cast<size_t>(next_push % 64)];
            n.seq = next_push++;
            q.push(&n);
        }
        for (int i = 0; i < pops; ++i) {
            Node* n = pop_node(q);
            if (next_pop == next_push) {
                ASSERT_EQ(n, nullptr);
                break;
            }
            ASSERT_NE(n, nullptr);
            ASSERT_EQ(n->seq, next_pop++);
        }
    }
}

TEST(MpscQueue, ManyProducersEachNodeExactlyOnceInProducerOrder) {
    constexpr int producers = 6;
    constexpr int per_producer = 100000;
    MpscQueue q;
    std::vector<std::unique_ptr<Node[]>> nodes;
    for (int p = 0; p < producers; ++p) nodes.push_back(std::make_unique<Node[]>(per_producer));
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            ready.fetch_add(1);
            while (ready.load() < producers) {
            }
            for (int i = 0; i < per_producer; ++i) {
                Node& n = nodes[static_cast<size_t>(p)][static_cast<size_t>(i)];
                n.producer = p;
                n.seq = i;
                q.push(&n);
            }
        });
    }
    std::vector<int> next(producers, 0);
    std::vector<uint8_t> seen(static_cast<size_t>(producers) * per_producer, 0);
    int total = 0, errors = 0;
    while (total < producers * per_producer) {
        Node* n = pop_node(q);
        if (!n) continue;  // empty, or a producer between its two steps
        size_t slot = static_cast<size_t>(n->producer) * per_producer + static_cast<size_t>(n->seq);
        if (seen[slot]++) ++errors;
        if (n->seq != next[static_cast<size_t>(n->producer)]) ++errors;
        next[static_cast<size_t>(n->producer)] = n->seq + 1;
        ++total;
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors, 0);
    EXPECT_EQ(q.pop(), nullptr);
    for (int p = 0; p < producers; ++p) EXPECT_EQ(next[static_cast<size_t>(p)], per_producer);
}

}  // namespace
}  // namespace authd::core
