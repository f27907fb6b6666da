// negotiation.hpp - the market agent's batch (the paper's MiM agent):
// authenticate new orders against the chain (Algorithm 1), clear each slot
// the agent may clear now on its book as the chain holds it with these
// orders (clearing.hpp), and sign the trades: the block of the new orders
// and the trades passes the chain's clearing rule as it is.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "figures.hpp"
#include "keyfile.hpp"
#include "market.hpp"
#include "record_stream.hpp"
#include "store.hpp"

namespace setm {

struct BatchOptions {
    MarketParams market;
    std::int64_t now = 0;
    unsigned threads = 1;
    bool skip_invalid = false; // reject bad orders by name and go on
    // A stream is read, checked and freed this many lines at a time (the
    // output is the same for any size; tests vary it).
    std::size_t stream_batch_lines = kRecordBatchLines;
};

struct Rejected {
    std::size_t line = 0;
    Hash32 id{};
    std::string type;
    Error error;
};

struct BatchResult {
    // The batch's block: its new orders and readings applied over the chain
    // (the StateReader run_batch was given, which must outlive it). Every
    // admitted order not yet on the chain is an entry of block->orders, once.
    std::unique_ptr<StateDelta> block;
    std::vector<Record> readings;       // every admitted reading not yet on the chain, once each
    std::vector<Record> early_readings; // readings whose slot is not over at `now`: carried
    std::vector<Signed<Trade>> trades;
    std::vector<Hash32> unmatched; // orders with energy left, to carry to the next batch
    std::vector<std::int64_t> unmatched_remaining_wh;
    std::vector<Rejected> rejected; // with skip_invalid
    MarketResult market;
    std::vector<ClearingFigures> figures; // one per market.slots entry, in its order

    // The new orders, by id (the order setm-negotiate prints them in).
    std::size_t new_order_count() const;
    Status each_new_order(const std::function<Status(const Record&)>& fn) const;
    std::vector<Record> new_orders() const;
    // The orders with energy left, in the order of `unmatched`.
    Status each_unmatched(const std::function<Status(const Record&)>& fn) const;
};

// The agent's key must hold a valid agent credential at `now`. The input is
// taken whole and freed once the orders are in the batch's block.
Result<BatchResult> run_batch(const StateReader& chain, const SecretKey& agent,
                              std::vector<LineRecord> input, const BatchOptions& opt);
// The same on a stream of records (the orders and readings as JSON lines),
// read and applied a few thousand lines at a time and freed once their
// orders are in the block (with skip_invalid read whole first, as the good
// lines are applied again once every line is checked). The block, the
// result and any failure are the same, except which of two errors is
// named: the agent's key and the fee are checked before the input is read,
// and a line that cannot be read comes after an order refused in an
// earlier batch of lines.
Result<BatchResult> run_batch(const StateReader& chain, const SecretKey& agent, std::istream& in,
                              const BatchOptions& opt);

// What each mechanism would make of the book this batch clears (the
// chain's with these orders, the same slots, the chain's rounds and fee or
// the what-ifs in opt.market): nothing is signed, so no agent key is needed.
struct MechanismFigures {
    Mechanism mechanism = Mechanism::pay_as_clear;
    std::vector<ClearingFigures> slots; // the slots cleared, ascending
    ClearingFigures total;
};
Result<std::vector<MechanismFigures>> compare_mechanisms(const StateReader& chain,
                                                         const std::vector<LineRecord>& input,
                                                         const BatchOptions& opt,
                                                         std::vector<Rejected>& rejected);

// The name of the signer of each order the market result names (order id
// -> name), as the chain's registry knows it, for the charts of --explain;
// signers it does not know are left out.
Result<std::map<Hash32, std::string>> order_names(const StateReader& chain,
                                                  const MarketResult& market);

} // namespace setm
