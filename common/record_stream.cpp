#include "record_stream.hpp"

#include <optional>

#include "parallel.hpp"

namespace setm {

Status each_object(std::istream& in,
                   const std::function<Status(const rapidjson::Value& obj, std::size_t line)>& fn) {
    RecordReader reader(in);
    for (;;) {
        SETM_TRY(auto raw, reader.next());
        if (!raw) return ok_status();
        auto doc = parse_json_object(raw->text);
        if (!doc) return std::move(doc.error().at_line(raw->line));
        Status s = fn(doc.value(), raw->line);
        if (!s) {
            Error e = s.error();
            if (!e.line) e.at_line(raw->line);
            return e;
        }
    }
}

namespace {

Result<Record> decode_record(const RawRecord& raw) {
    auto doc = parse_json_object(raw.text);
    if (!doc) return std::move(doc.error().at_line(raw.line));
    auto r = record_from_json(doc.value());
    if (!r) {
        Error e = r.error();
        if (!e.line) e.at_line(raw.line);
        return e;
    }
    return r;
}

} // namespace

Result<std::vector<LineRecord>> read_records(std::istream& in, unsigned threads) {
    constexpr std::size_t kBatch = 4096; // records split before they are decoded together
    RecordReader reader(in);
    std::vector<LineRecord> out;
    std::vector<RawRecord> raw;
    std::vector<std::optional<Result<Record>>> decoded;
    for (bool more = true; more;) {
        raw.clear();
        std::optional<Error> split_error; // comes after every record read before it
        while (raw.size() < kBatch) {
            auto next = reader.next();
            if (!next) split_error = next.error();
            if (!next || !next.value()) {
                more = false;
                break;
            }
            raw.push_back(std::move(*next.value()));
        }
        decoded.assign(raw.size(), std::nullopt);
        parallel_for(raw.size(), threads,
                     [&](std::size_t i) { decoded[i] = decode_record(raw[i]); });
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (!*decoded[i]) return decoded[i]->error();
            out.push_back(LineRecord{std::move(decoded[i]->value()), raw[i].line});
        }
        if (split_error) return *split_error;
    }
    return out;
}

} // namespace setm
