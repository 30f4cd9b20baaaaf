DROP TABLE IF EXISTS contact_import_rows;
DROP TABLE IF EXISTS contact_imports;
