-- How each person’s VDAB situation changed from wave to wave. Grain: one row per person per wave, the person
-- identified by the pseudonym they carry in the latest wave (pseudoniem_vervangingen joins a bis number’s pseudonym to
-- that of the register number that replaced it, over up to two steps like int_insz_vervangingen_opgelost).
--
-- A table over the incremental dataset instead of a dbt snapshot: the dataset already keeps every wave, keyed by
-- `golf`, so the history is a window over it that is exact and rebuilds identically. A snapshot would stamp validity
-- with the time of the run instead of the wave, and could not correct a wave that is rerun or processed late.
{%- set vergeleken = [
    ('gekend_bij_vdab', 'vorige_gekend_bij_vdab'),
    ('huidige_categorie_werkzoekende', 'vorige_categorie_werkzoekende'),
    ('status_dienstverlening', 'vorige_status_dienstverlening'),
    ('uitgestroomd_naar_werk', 'vorige_uitgestroomd_naar_werk'),
] %}

with

vervangingen as (
    select
        eerste.oud_pseudoniem,
        coalesce(tweede.nieuw_pseudoniem, eerste.nieuw_pseudoniem) as nieuw_pseudoniem
    from {{ ref('pseudoniem_vervangingen') }} as eerste
    left join {{ ref('pseudoniem_vervangingen') }} as tweede
        on
            eerste.nieuw_pseudoniem = tweede.oud_pseudoniem
            and eerste.oud_pseudoniem != tweede.nieuw_pseudoniem
),

metingen as (
    select
        coalesce(vervangingen.nieuw_pseudoniem, dataset.pseudoniem) as pseudoniem,
        dataset.golf,
        dataset.peildatum,
        dataset.gekend_bij_vdab,
        dataset.huidige_categorie_werkzoekende,
        dataset.status_dienstverlening,
        dataset.uitstroom_naar_werk
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
    left join vervangingen
        on dataset.pseudoniem = vervangingen.oud_pseudoniem
),

venster as (
    select
        metingen.pseudoniem,
        metingen.golf,
        metingen.peildatum,
        metingen.gekend_bij_vdab,
        metingen.huidige_categorie_werkzoekende,
        metingen.status_dienstverlening,
        metingen.uitstroom_naar_werk is not null as uitgestroomd_naar_werk,
        lag(metingen.golf) over per_persoon as vorige_golf,
        lag(metingen.gekend_bij_vdab) over per_persoon as vorige_gekend_bij_vdab,
        lag(metingen.huidige_categorie_werkzoekende) over per_persoon as vorige_categorie_werkzoekende,
        lag(metingen.status_dienstverlening) over per_persoon as vorige_status_dienstverlening,
        lag(metingen.uitstroom_naar_werk is not null) over per_persoon as vorige_uitgestroomd_naar_werk,
        lead(metingen.golf) over per_persoon as volgende_golf,
        lead(metingen.status_dienstverlening) over per_persoon as volgende_status_dienstverlening
    from metingen
    window per_persoon as (partition by metingen.pseudoniem order by metingen.golf)
)

select
    venster.pseudoniem,
    venster.golf,
    venster.peildatum,
    venster.gekend_bij_vdab,
    venster.huidige_categorie_werkzoekende,
    venster.status_dienstverlening,
    venster.uitgestroomd_naar_werk,
    venster.vorige_golf,
    venster.vorige_gekend_bij_vdab,
    venster.vorige_categorie_werkzoekende,
    venster.vorige_status_dienstverlening,
    venster.vorige_uitgestroomd_naar_werk,
    venster.volgende_golf,
    venster.volgende_status_dienstverlening,
    case
        when venster.vorige_golf is null then 'nieuw'
        when
            {%- for huidig, vorig in vergeleken %}
                coalesce(
                    venster.{{ huidig }} = venster.{{ vorig }},
                    venster.{{ huidig }} is null and venster.{{ vorig }} is null
                )
                and
            {%- endfor %}
            venster.vorige_golf is not null
            then 'ongewijzigd'
        else 'gewijzigd'
    end as verandering_sinds_vorige_golf
from venster
