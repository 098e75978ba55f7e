-- US-China trade-policy events, typed. direction_sign: +1 escalation, -1 de-escalation.
with source as (

    select * from {{ source('policy', 'trade_policy_events') }}

),

typed as (

    select
        row_number() over (order by try_cast(event_date as date), event) as event_id,
        try_cast(event_date as date) as event_date,
        cast(event as varchar) as event_description,
        lower(trim(direction)) as direction,
        case lower(trim(direction)) when 'escalation' then 1 when 'de-escalation' then -1 end as direction_sign,
        cast(source as varchar) as source_document
    from source

)

select * from typed
