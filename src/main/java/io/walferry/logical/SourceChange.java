package io.walferry.logical;

import io.walferry.postgres.logical.AppliedRelation;
import io.walferry.postgres.logical.PgOutputMessage.OldRow;
import io.walferry.postgres.logical.PgOutputMessage.TupleData;

import java.util.List;
import java.util.Optional;

/** One change of a source transaction held until its commit arrives (parallel apply dispatches whole transactions). */
sealed interface SourceChange {
    record Insert(AppliedRelation relation, TupleData row) implements SourceChange {
    }

    record Update(AppliedRelation relation, Optional<OldRow> old, TupleData row) implements SourceChange {
    }

    record Delete(AppliedRelation relation, OldRow old) implements SourceChange {
    }

    record Truncate(List<AppliedRelation> relations, boolean restartIdentity) implements SourceChange {
        public Truncate {
            relations = List.copyOf(relations);
        }
    }
}
