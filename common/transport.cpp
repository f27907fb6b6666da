#include "transport.hpp"

#include <deque>

namespace setm {

namespace {

// ---- residual arcs ---------------------------------------------------------------

// One step through the residual network: arc `arc` used forwards (more
// flow) or backwards (less flow), at `cost` per unit, up to `room` units.
struct Step {
    std::uint32_t arc = 0;
    bool forward = true;
    std::int64_t cost = 0, room = 0;
};

std::optional<Step> forward_step(const Arc& a, std::uint32_t index) {
    if (a.full >= a.segments.size()) return std::nullopt;
    const Segment& s = a.segments[a.full];
    return Step{index, true, s.cost, s.capacity - a.partial};
}

std::optional<Step> backward_step(const Arc& a, std::uint32_t index) {
    if (a.partial > 0) return Step{index, false, -a.segments[a.full].cost, a.partial};
    if (a.full == 0) return std::nullopt;
    const Segment& s = a.segments[a.full - 1];
    return Step{index, false, -s.cost, s.capacity};
}

void push(Arc& a, bool forward, std::int64_t units) {
    if (forward) {
        a.partial += units;
        if (a.partial == a.segments[a.full].capacity) {
            ++a.full;
            a.partial = 0;
        }
    } else if (a.partial > 0) {
        a.partial -= units;
    } else {
        --a.full;
        a.partial = a.segments[a.full].capacity - units;
    }
}

// Extra arcs of cost `cost` and unlimited room, outside the network: the
// circulation and the "equal potential" links of potentials().
struct Link {
    std::uint32_t from = 0, to = 0;
    std::int64_t cost = 0;
};

struct Links {
    std::vector<std::vector<Link>> out, in;
};

// Calls visit(next node, step) for every residual arc leaving u, or, when
// `reversed`, entering u (next = its tail). Links have arc index kLink.
constexpr std::uint32_t kLink = static_cast<std::uint32_t>(-1);

template <class Visit>
void each_step(const FlowNetwork& n, const Links* links, std::uint32_t u, bool reversed,
               Visit visit) {
    for (std::uint32_t i : reversed ? n.in[u] : n.out[u]) {
        const Arc& a = n.arcs[i];
        if (auto s = forward_step(a, i)) visit(reversed ? a.from : a.to, *s);
    }
    for (std::uint32_t i : reversed ? n.out[u] : n.in[u]) {
        const Arc& a = n.arcs[i];
        if (auto s = backward_step(a, i)) visit(reversed ? a.to : a.from, *s);
    }
    if (!links) return;
    for (const Link& l : reversed ? links->in[u] : links->out[u])
        visit(reversed ? l.from : l.to, Step{kLink, true, l.cost, kUnlimited});
}

// ---- shortest paths --------------------------------------------------------------

struct Paths {
    std::vector<std::int64_t> dist;
    std::vector<Step> via;               // the step that reached each node
    std::vector<std::uint32_t> via_node; // and the node it came from
    bool negative_cycle = false;
    // work space, kept between searches
    std::vector<std::uint32_t> queued;
    std::vector<bool> in_queue;
    std::deque<std::uint32_t> queue;
};

// Queue-based Bellman-Ford from `start` (distances to `start` when
// reversed), into p (its vectors reused: a search per augmentation).
void shortest_paths(const FlowNetwork& n, const Links* links, std::uint32_t start, bool reversed,
                    Paths& p) {
    p.dist.assign(n.nodes, kNoPath);
    p.via.resize(n.nodes);
    p.via_node.assign(n.nodes, start);
    p.queued.assign(n.nodes, 0);
    p.in_queue.assign(n.nodes, false);
    p.negative_cycle = false;
    p.queue.assign(1, start);
    p.dist[start] = 0;
    p.in_queue[start] = true;
    while (!p.queue.empty() && !p.negative_cycle) {
        const std::uint32_t u = p.queue.front();
        p.queue.pop_front();
        p.in_queue[u] = false;
        each_step(n, links, u, reversed, [&](std::uint32_t v, const Step& s) {
            const std::int64_t d = p.dist[u] + s.cost; // |dist| < 2^62 and |cost| < 2^52
            if (d >= p.dist[v] || p.negative_cycle) return;
            p.dist[v] = d;
            p.via[v] = s;
            p.via_node[v] = u;
            if (p.in_queue[v]) return;
            if (++p.queued[v] > n.nodes) {
                p.negative_cycle = true;
                return;
            }
            p.in_queue[v] = true;
            p.queue.push_back(v);
        });
    }
}

// Pushes as much as the cheapest path to the sink allows; returns it.
std::int64_t augment(FlowNetwork& n, const Paths& p) {
    std::int64_t units = kUnlimited;
    for (std::uint32_t v = n.sink; v != n.source; v = p.via_node[v])
        units = std::min(units, p.via[v].room);
    for (std::uint32_t v = n.sink; v != n.source; v = p.via_node[v])
        push(n.arcs[p.via[v].arc], p.via[v].forward, units);
    return units;
}

} // namespace

FlowNetwork make_network(std::uint32_t nodes, std::uint32_t source, std::uint32_t sink) {
    FlowNetwork n;
    n.nodes = nodes;
    n.source = source;
    n.sink = sink;
    n.out.resize(nodes);
    n.in.resize(nodes);
    return n;
}

std::uint32_t add_arc(FlowNetwork& n, std::uint32_t from, std::uint32_t to,
                      std::vector<Segment> segments) {
    const auto index = static_cast<std::uint32_t>(n.arcs.size());
    n.arcs.push_back(Arc{from, to, std::move(segments), 0, 0});
    n.out[from].push_back(index);
    n.in[to].push_back(index);
    return index;
}

std::int64_t segment_flow(const Arc& a, std::size_t k) {
    if (k < a.full) return a.segments[k].capacity;
    return k == a.full ? a.partial : 0;
}

std::int64_t arc_flow(const Arc& a) {
    std::int64_t f = a.partial;
    for (std::size_t k = 0; k < a.full; ++k) f += a.segments[k].capacity;
    return f;
}

std::int64_t solve_min_cost(FlowNetwork& n) {
    std::int64_t total = 0;
    Paths p;
    for (;;) {
        shortest_paths(n, nullptr, n.source, false, p);
        if (p.negative_cycle || p.dist[n.sink] > 0) return total; // cycles: never, see header
        total += augment(n, p);
    }
}

std::optional<PotentialRange> potentials(const FlowNetwork& n,
                                         const std::vector<std::uint32_t>& equal) {
    Links links{std::vector<std::vector<Link>>(n.nodes), std::vector<std::vector<Link>>(n.nodes)};
    auto link = [&](std::uint32_t from, std::uint32_t to) {
        links.out[from].push_back(Link{from, to, 0});
        links.in[to].push_back(Link{from, to, 0});
    };
    link(n.sink, n.source); // the circulation: more flow may always return
    std::int64_t flow = 0;
    for (std::uint32_t i : n.in[n.sink]) flow += arc_flow(n.arcs[i]);
    if (flow > 0) link(n.source, n.sink); // ... and what flows may return less
    for (std::size_t k = 1; k < equal.size(); ++k) {
        link(equal[k - 1], equal[k]);
        link(equal[k], equal[k - 1]);
    }
    Paths high, low;
    shortest_paths(n, &links, n.source, false, high);
    shortest_paths(n, &links, n.source, true, low);
    if (high.negative_cycle || low.negative_cycle) return std::nullopt;
    PotentialRange r{std::vector<std::int64_t>(n.nodes), high.dist};
    for (std::uint32_t v = 0; v < n.nodes; ++v) r.low[v] = -low.dist[v];
    return r;
}

} // namespace setm
