DELETE FROM filtered_papers WHERE partition_date = $partition_date;
INSERT INTO filtered_papers (partition_date, arxiv_id, version, announce_type, is_update, title, primary_category,
                             matched_keywords, matched_authors, matched_in, matches, score, rank,
                             semantic_score, closest_interest, kept_by, combined_score,
                             calibrated_score, learned_score, closest_liked, venue, venue_year,
                             venue_status, revision_of, revision_kind, revision, reader)
SELECT $partition_date, arxiv_id, version, announce_type, is_update, title, primary_category,
       matched_keywords, matched_authors, matched_in, matches, score, rank,
       semantic_score, closest_interest, kept_by, combined_score, calibrated_score, learned_score, closest_liked, venue,
       venue_year, venue_status, revision_of, revision_kind, revision, reader
FROM staged_filtered_papers;
