package io.walferry.ha;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What one member publishes about itself in the store every pass of its HA loop (under a lease: a member that stops
 * publishing disappears), and what the others decide on: its role, timeline and WAL, whether it may be promoted, its
 * API, and the decision of its last pass in words.
 *
 * @param role      primary, replica, or down (PostgreSQL not running)
 * @param lsn       the most WAL it holds: a primary's position, a replica's received or replayed WAL ("X/Y"), or null
 * @param streaming a replica streams from the primary now
 * @param archiveOnly a replica that has no primary_conninfo (replays only from the archive)
 * @param candidate  it may be promoted by the HA loop (not nofailover; an archive-only one only if allowed)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MemberState(@JsonProperty("node") String node, @JsonProperty("role") String role, @JsonProperty("timeline") int timeline,
                          @JsonProperty("lsn") String lsn, @JsonProperty("streaming") boolean streaming,
                          @JsonProperty("archive_only") boolean archiveOnly, @JsonProperty("candidate") boolean candidate,
                          @JsonProperty("priority") int priority, @JsonProperty("api") String api,
                          @JsonProperty("decision") String decision, @JsonProperty("updated") String updated) {
    public static final String PRIMARY = "primary";
    public static final String REPLICA = "replica";
    public static final String DOWN = "down";
}
