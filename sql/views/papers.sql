-- One row per paper: its latest listed version's metadata, with its first announcement date.
CREATE OR REPLACE VIEW papers AS
SELECT arxiv_id,
       max(version)                              AS latest_version,
       count(*)                                  AS versions_listed,
       min(announced_on)                         AS first_announced,
       max(announced_on)                         AS last_announced,
       arg_max(title, version)                   AS title,
       arg_max(authors, version)                 AS authors,
       arg_max(abstract, version)                AS abstract,
       arg_max(primary_category, version)        AS primary_category,
       arg_max(categories, version)              AS categories,
       min(published)                            AS published,
       max(updated)                              AS updated,
       arg_max(comment, version)                 AS comment,
       arg_max(journal_ref, version)             AS journal_ref,
       arg_max(doi, version)                     AS doi,
       'https://arxiv.org/abs/' || arxiv_id      AS abs_url
FROM paper_versions
GROUP BY arxiv_id;
