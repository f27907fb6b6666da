// record_fields.hpp - the vocabulary of a record's one field list.
//
// Each record body (records.hpp) lists its fields once, in canonical order:
//
//     template <class Self, class Visit>
//     static void fields(Self& b, Visit&& f) {
//         f("producer", b.producer);
//         f("slot", as_time(b.slot));
//         ...
//     }
//
// and everything else is derived from that list: the canonical bytes and
// stored values (cereal, through `serialize`), the JSON object a tool
// writes and the strict reading of it (records.cpp). A plain member is
// written as its type says (integers as numbers, byte arrays as hex,
// strings, lists of strings); the wrappers below say more where the type
// alone does not.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace setm {

// Unix seconds; JSON: an RFC 3339 UTC time.
template <class T>
struct TimeField {
    T& value;
};
// An integer that must not be negative (energy); JSON: a number.
template <class T>
struct NonNegativeField {
    T& value;
};
// Role bits; JSON: the role names, in canonical order.
template <class T>
struct RolesField {
    T& value;
};
// JSON only, never in the canonical bytes: a value computed from other
// fields, written for people and checked on reading (a participant id
// beside the key it derives from).
template <class Fn>
struct DerivedField {
    Fn compute;
    const char* mismatch; // the reading error when the JSON's value differs
};

template <class T>
TimeField<T> as_time(T& v) {
    return {v};
}
template <class T>
NonNegativeField<T> as_non_negative(T& v) {
    return {v};
}
template <class T>
RolesField<T> as_roles(T& v) {
    return {v};
}
template <class Fn>
DerivedField<Fn> derived(Fn fn, const char* mismatch) {
    return {fn, mismatch};
}

template <class T>
struct is_field_wrapper : std::false_type {};
template <class T>
struct is_field_wrapper<TimeField<T>> : std::true_type {};
template <class T>
struct is_field_wrapper<NonNegativeField<T>> : std::true_type {};
template <class T>
struct is_field_wrapper<RolesField<T>> : std::true_type {};

template <class T>
struct is_derived_field : std::false_type {};
template <class Fn>
struct is_derived_field<DerivedField<Fn>> : std::true_type {};

// A list of plain structs that have a field list of their own (ZoneFee):
// cereal writes it as any vector; JSON as an array of objects.
template <class T>
struct is_struct_list : std::false_type {};
template <class T, class A>
struct is_struct_list<std::vector<T, A>>
    : std::bool_constant<std::is_class_v<T> && !std::is_same_v<T, std::string>> {};

// The member a field puts in the canonical bytes.
template <class Field>
decltype(auto) stored_value(Field&& f) {
    if constexpr (is_field_wrapper<std::decay_t<Field>>::value)
        return (f.value);
    else
        return (f);
}

// The cereal side of a field list: every field but the derived ones, in
// order. `serialize` of each body is `fields(*this, CerealFields<A>{ar})`.
template <class Archive>
struct CerealFields {
    Archive& ar;
    template <class Field>
    void operator()(const char*, Field&& f) const {
        if constexpr (!is_derived_field<std::decay_t<Field>>::value) ar(stored_value(f));
    }
};

} // namespace setm
