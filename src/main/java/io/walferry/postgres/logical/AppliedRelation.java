package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;

import java.util.List;

/**
 * A source relation as the target applies it: the table, and for each column the source sends (in its order) the
 * target's name and type, whether it belongs to the replica identity, and whether its type has an equality (a full
 * replica identity compares the others as text).
 *
 * @param fullIdentity the source sends whole old rows (REPLICA IDENTITY FULL): a row is found by all its values
 */
public record AppliedRelation(int sourceOid, QualifiedName table, List<AppliedColumn> columns, boolean fullIdentity) {
    public AppliedRelation {
        columns = List.copyOf(columns);
    }

    /**
     * A column: {@code type} is what a value is cast to (the type without its modifier, so the column's own checks
     * apply); {@code identityAlways}: GENERATED ALWAYS AS IDENTITY on the target; {@code arrayDelimiter}: where values
     * of the type can go as the elements of an array of it, the delimiter of that array's text.
     */
    public record AppliedColumn(String name, String type, boolean key, boolean comparable, boolean identityAlways,
                                java.util.Optional<Character> arrayDelimiter) {
        /** A column whose values do not go in arrays. */
        public AppliedColumn(String name, String type, boolean key, boolean comparable, boolean identityAlways) {
            this(name, type, key, comparable, identityAlways, java.util.Optional.empty());
        }
    }
}
