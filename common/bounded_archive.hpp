// bounded_archive.hpp - cereal's portable binary format, read from a byte
// span that knows how many bytes remain.
//
// cereal::PortableBinaryInputArchive trusts length fields: a stored value
// whose string or vector length says 2^40 (checksum recomputed) makes it
// resize to that length before it finds the bytes missing. This archive
// reads the same format (one flag byte, which must say little-endian;
// integers fixed-width little-endian; strings and vectors as a uint64 count
// then the elements; fixed arrays raw) and refuses a count larger than the
// bytes that remain, before cereal resizes anything. Every element of every
// setm type takes at least one byte, so no honest count exceeds the bytes
// left: a value of n bytes never makes the decoder allocate more than n
// elements of any container at a time.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include <cereal/cereal.hpp>

namespace setm {

class BoundedBinaryInputArchive
    : public cereal::InputArchive<BoundedBinaryInputArchive, cereal::AllowEmptyClassElision> {
public:
    // Throws cereal::Exception unless the first byte is the little-endian flag (1).
    BoundedBinaryInputArchive(const std::uint8_t* data, std::size_t size)
        : cereal::InputArchive<BoundedBinaryInputArchive, cereal::AllowEmptyClassElision>(this),
          p_(data),
          left_(size) {
        std::uint8_t little = 0;
        read(&little, 1, 1);
        if (little != 1) throw cereal::Exception("not a little-endian portable binary value");
    }

    std::size_t remaining() const { return left_; }

    // `size` bytes of elements of `element` bytes each, little-endian.
    void read(void* out, std::size_t size, std::size_t element) {
        if (size > left_)
            throw cereal::Exception("value truncated: " + std::to_string(size) + " bytes wanted, " +
                                    std::to_string(left_) + " left");
        std::memcpy(out, p_, size);
        p_ += size;
        left_ -= size;
        if constexpr (std::endian::native == std::endian::big) {
            auto* b = static_cast<std::uint8_t*>(out);
            for (std::size_t i = 0; element > 1 && i + element <= size; i += element)
                for (std::size_t j = 0; j < element / 2; ++j)
                    std::swap(b[i + j], b[i + element - 1 - j]);
        }
    }

    // A container's element count, before anything is allocated for it.
    void check_count(std::uint64_t count) const {
        if (count > left_)
            throw cereal::Exception("length field " + std::to_string(count) + " exceeds the " +
                                    std::to_string(left_) + " bytes left");
    }

private:
    const std::uint8_t* p_;
    std::size_t left_;
};

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(BoundedBinaryInputArchive& ar,
                                                                    T& t) {
    static_assert(!std::is_floating_point_v<T>, "setm stores no floating point");
    ar.read(std::addressof(t), sizeof(T), sizeof(T));
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedBinaryInputArchive& ar, cereal::NameValuePair<T>& t) {
    ar(t.value);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedBinaryInputArchive& ar, cereal::SizeTag<T>& t) {
    std::uint64_t count = 0;
    ar(count);
    ar.check_count(count);
    t.size = static_cast<std::remove_reference_t<T>>(count);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedBinaryInputArchive& ar, cereal::BinaryData<T>& bd) {
    using Element = std::remove_pointer_t<T>;
    static_assert(!std::is_floating_point_v<Element>, "setm stores no floating point");
    ar.read(bd.data, static_cast<std::size_t>(bd.size), sizeof(Element));
}

} // namespace setm
