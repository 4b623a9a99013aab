import { describeQuery } from '../src';

describe('describeQuery', () => {
  it.each([
    ['select "id", "name" from "customers" where "customers"."id" = $1 limit $2', 'SELECT', 'customers'],
    ['insert into "customers" ("id", "name") values ($1, $2) returning "id"', 'INSERT', 'customers'],
    ['update "customers" set "name" = $1 where "customers"."id" = $2', 'UPDATE', 'customers'],
    ['delete from "order_lines" where "order_id" = $1', 'DELETE', 'order_lines'],
    ['  \n  SELECT count(*)::int AS n FROM products', 'SELECT', 'products'],
    ['with recent as (select * from "orders") select * from recent', 'WITH', 'orders'],
  ])('names %j as %s on %s', (sql, operation, collection) => {
    expect(describeQuery(sql)).toEqual({ operation, collection });
  });

  it('has no collection for statements without a table', () => {
    expect(describeQuery('select 1')).toEqual({ operation: 'SELECT', collection: undefined });
    expect(describeQuery('begin')).toEqual({ operation: 'BEGIN', collection: undefined });
  });

  it('falls back to QUERY when the text does not start with a keyword', () => {
    expect(describeQuery('')).toEqual({ operation: 'QUERY', collection: undefined });
    expect(describeQuery('(select 1)').operation).toBe('QUERY');
  });
});
