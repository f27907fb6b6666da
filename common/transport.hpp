// transport.hpp - minimum-cost flow on a small network with convex arcs.
//
// The exact core of the pay-as-* mechanisms (market.hpp): the source feeds
// the offers, the requests drain into the sink, and the cheapest flow is the
// allocation of most welfare. Pure: no I/O, no allocation beyond its vectors.
//
// An arc is a list of segments (cost per unit, capacity) with costs
// ascending: a convex piecewise-linear cost, e.g. one zone's offers in merit
// order. Flow always fills an arc's segments in order, so "the first k
// segments full, the next one partly" is all the state an arc has.
//
// Algorithm: successive shortest paths (Busacker-Gowen). Each step finds a
// cheapest path from the source to the sink in the residual network
// (queue-based Bellman-Ford; residual costs may be negative, cycles never
// are) and pushes as much as the path's tightest segment allows. It stops
// when the cheapest path costs more than zero, so the flow is of least cost,
// and among flows of least cost of most volume (paths of cost exactly 0 are
// taken). Every step fills or empties a segment; there are at most a few
// per segment in practice, each O(nodes * arcs) at worst, nearly linear in
// practice. Deterministic: arcs are tried in the order they were added.
//
// Prices (dual potentials): after solve(), potentials(v) gives, for every
// node, the lowest and highest potential pi(v) with pi(source) = pi(sink) =
// 0 and pi(v) - pi(u) <= cost for every residual arc u -> v. An arc with
// flow in both directions thus has pi(to) - pi(from) = its cost exactly; a
// full arc only bounds one side. These are the market's equilibrium prices.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace setm {

// A capacity without limit (no flow reaches it: a slot's energies sum to at
// most this, checked by the market).
inline constexpr std::int64_t kUnlimited = std::numeric_limits<std::int64_t>::max();

struct Segment {
    std::int64_t cost = 0;
    std::int64_t capacity = 0;
};

struct Arc {
    std::uint32_t from = 0, to = 0;
    std::vector<Segment> segments; // costs ascending
    std::size_t full = 0;          // segments [0, full) carry their capacity
    std::int64_t partial = 0;      // flow in segment `full` (< its capacity)
};

struct FlowNetwork {
    std::uint32_t nodes = 0;
    std::uint32_t source = 0, sink = 0;
    std::vector<Arc> arcs;
    // arcs leaving / entering each node, by index into `arcs`
    std::vector<std::vector<std::uint32_t>> out, in;
};

FlowNetwork make_network(std::uint32_t nodes, std::uint32_t source, std::uint32_t sink);
// Returns the arc's index. Segments must have costs ascending, capacity > 0.
std::uint32_t add_arc(FlowNetwork& n, std::uint32_t from, std::uint32_t to,
                      std::vector<Segment> segments);

// Flow on an arc, and in one of its segments.
std::int64_t arc_flow(const Arc& a);
std::int64_t segment_flow(const Arc& a, std::size_t k);

// The flow of least cost, then of most volume, among flows whose every
// source-to-sink path costs at most 0. Returns the total flow.
std::int64_t solve_min_cost(FlowNetwork& n);

// The distance to a node no path reaches.
inline constexpr std::int64_t kNoPath = std::int64_t{1} << 62;

struct PotentialRange {
    std::vector<std::int64_t> low, high; // per node; +-kNoPath where unbounded
};

// The lowest and highest feasible potentials (see above) after solve(),
// with a circulation arc sink -> source closing the flow. `equal` lists
// nodes that must share one potential; when that is infeasible, nullopt.
std::optional<PotentialRange> potentials(const FlowNetwork& n,
                                         const std::vector<std::uint32_t>& equal);

} // namespace setm
