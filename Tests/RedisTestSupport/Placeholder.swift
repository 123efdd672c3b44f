// (replaced by the redis-server fixtures)
