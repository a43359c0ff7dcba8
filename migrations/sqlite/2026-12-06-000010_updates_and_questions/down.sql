DROP TABLE offering_posts;
DROP TABLE offering_updates;
